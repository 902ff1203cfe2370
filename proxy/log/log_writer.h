// The process's log pipeline: records from any thread go through a bounded queue to one writer
// thread that appends them to their stream's destination (stderr or a file).
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "proxy/log/bounded_queue.h"

namespace espd::log {

enum class Stream : uint8_t { kEspd, kConnection, kAccess, kSecurity, kAudit };
inline constexpr size_t kStreamCount = 5;
const char* stream_name(Stream stream);  // "espd", "connection", "access", "security", "audit"

enum class Level : uint8_t { kDebug, kInfo, kWarning, kError };
const char* level_name(Level level);

struct Destinations {
  // Each: "stderr", "off" or an absolute file path.
  std::array<std::string, kStreamCount> path = {"stderr", "stderr", "stderr", "stderr", "off"};
  Level level = Level::kInfo;
};

class LogWriter {
 public:
  // The process-wide writer. Until start(), records are written synchronously to stderr.
  static LogWriter& instance();

  void start(size_t queue_records);
  // Flushes everything queued and stops the thread; later records go synchronously to stderr.
  void stop();

  // Opens the destinations (files are created, appended to). On failure returns the error and
  // keeps the previous destinations.
  std::string configure(const Destinations& destinations);
  // Reopens every file destination (after logrotate moved them).
  void request_reopen();

  bool enabled(Stream stream) const {
    return enabled_[static_cast<size_t>(stream)].load(std::memory_order_relaxed);
  }
  bool enabled(Level level) const { return level >= level_.load(std::memory_order_relaxed); }

  // Never blocks a worker: when the queue is full the record is dropped and counted.
  void submit(Stream stream, std::string&& line);
  uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  LogWriter() = default;
  void run();
  void wake_writer();
  void write_record(Stream stream, const std::string& line);
  void flush_all();
  void reopen_files();

  struct Output {
    std::string path;  // "stderr", "off" or a file
    int fd = -1;       // -1 for off
    bool owned = false;
    std::string pending;
  };

  std::unique_ptr<BoundedQueue> queue_;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<bool> sleeping_{false};
  std::atomic<bool> reopen_{false};
  std::atomic<uint64_t> dropped_{0};
  std::array<std::atomic<bool>, kStreamCount> enabled_{true, true, true, true, false};
  std::atomic<Level> level_{Level::kInfo};
  std::mutex outputs_mutex_;  // configure() (control thread) vs. the writer thread
  std::array<Output, kStreamCount> outputs_;
  std::mutex wake_mutex_;
  std::condition_variable wake_;
};

}  // namespace espd::log
