// The process's log pipeline.
#include "proxy/log/log_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace espd::log {
namespace {

constexpr size_t kTagBytes = 1;  // each queued record starts with its stream number

void write_all(int fd, const char* data, size_t length) {
  while (length > 0) {
    ssize_t n = ::write(fd, data, length);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere left to report a failing log destination
    }
    data += n;
    length -= static_cast<size_t>(n);
  }
}

size_t round_up_power_of_two(size_t n) {
  size_t p = 64;
  while (p < n)
    p <<= 1;
  return p;
}

}  // namespace

const char* stream_name(Stream stream) {
  switch (stream) {
    case Stream::kEspd:
      return "espd";
    case Stream::kConnection:
      return "connection";
    case Stream::kAccess:
      return "access";
    case Stream::kSecurity:
      return "security";
    case Stream::kAudit:
      return "audit";
  }
  return "espd";
}

const char* level_name(Level level) {
  switch (level) {
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarning:
      return "warning";
    case Level::kError:
      return "error";
  }
  return "info";
}

LogWriter& LogWriter::instance() {
  static LogWriter writer;
  return writer;
}

void LogWriter::start(size_t queue_records) {
  if (running_.load()) return;
  {
    std::lock_guard lock(outputs_mutex_);
    for (Output& output : outputs_) {
      if (output.path.empty()) {
        output.path = "stderr";
        output.fd = STDERR_FILENO;
      }
    }
    outputs_[static_cast<size_t>(Stream::kAudit)] = Output{"off", -1, false, {}};
  }
  queue_ = std::make_unique<BoundedQueue>(round_up_power_of_two(queue_records));
  running_.store(true);
  thread_ = std::thread([this] { run(); });
}

void LogWriter::stop() {
  if (!running_.exchange(false)) return;
  wake_writer();
  thread_.join();
  std::string line;
  while (queue_->pop(line))
    write_record(static_cast<Stream>(line[0]), line);
  flush_all();
}

std::string LogWriter::configure(const Destinations& destinations) {
  std::array<Output, kStreamCount> opened;
  for (size_t i = 0; i < kStreamCount; ++i) {
    const std::string& path = destinations.path[i];
    opened[i].path = path;
    if (path == "off") {
      opened[i].fd = -1;
    } else if (path == "stderr") {
      opened[i].fd = STDERR_FILENO;
    } else {
      // Two streams may share a file: open it once.
      for (size_t j = 0; j < i; ++j) {
        if (opened[j].owned && opened[j].path == path) opened[i].fd = opened[j].fd;
      }
      if (opened[i].fd < 0) {
        int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
        if (fd < 0) {
          std::string error = "cannot open log file " + path + ": " + std::strerror(errno);
          for (size_t j = 0; j < i; ++j) {
            if (opened[j].owned) ::close(opened[j].fd);
          }
          return error;
        }
        opened[i].fd = fd;
        opened[i].owned = true;
      }
    }
  }
  {
    std::lock_guard lock(outputs_mutex_);
    flush_all();
    for (size_t i = 0; i < kStreamCount; ++i) {
      bool shared_later = false;
      if (outputs_[i].owned) {
        for (size_t j = i + 1; j < kStreamCount; ++j) {
          if (outputs_[j].owned && outputs_[j].fd == outputs_[i].fd) shared_later = true;
        }
        if (!shared_later) ::close(outputs_[i].fd);
      }
      outputs_[i] = std::move(opened[i]);
      enabled_[i].store(outputs_[i].fd >= 0);
    }
    // A file shared by two streams is owned once, so it is closed once.
    for (size_t i = 0; i < kStreamCount; ++i) {
      for (size_t j = 0; j < i; ++j) {
        if (outputs_[j].owned && outputs_[i].owned && outputs_[j].fd == outputs_[i].fd) {
          outputs_[i].owned = false;
        }
      }
    }
  }
  level_.store(destinations.level);
  return {};
}

void LogWriter::request_reopen() {
  reopen_.store(true);
  wake_writer();
}

void LogWriter::wake_writer() {
  // Under the mutex: the writer holds it from its last look at the queue and the flags until
  // wait() releases it, so this notification cannot fall in between and be lost.
  std::lock_guard lock(wake_mutex_);
  wake_.notify_one();
}

void LogWriter::submit(Stream stream, std::string&& line) {
  if (!running_.load(std::memory_order_acquire)) {
    std::lock_guard lock(outputs_mutex_);
    Output& output = outputs_[static_cast<size_t>(stream)];
    int fd = output.path.empty() ? STDERR_FILENO : output.fd;
    if (fd >= 0) write_all(fd, line.data(), line.size());
    return;
  }
  line.insert(line.begin(), static_cast<char>(stream));
  if (!queue_->push(std::move(line))) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  // Pairs with the exchange in run(): both read-modify-write the flag, so one comes first. If
  // this one does, the writer's exchange reads it (acquire) and then sees the record; if the
  // writer's does, this one reads true and wakes it.
  if (sleeping_.exchange(false, std::memory_order_acq_rel)) wake_writer();
}

void LogWriter::write_record(Stream stream, const std::string& line) {
  Output& output = outputs_[static_cast<size_t>(stream)];
  if (output.fd < 0) return;
  output.pending.append(line, kTagBytes, std::string::npos);
  if (output.pending.size() >= 65536) {
    write_all(output.fd, output.pending.data(), output.pending.size());
    output.pending.clear();
  }
}

void LogWriter::flush_all() {
  for (Output& output : outputs_) {
    if (output.fd >= 0 && !output.pending.empty()) {
      write_all(output.fd, output.pending.data(), output.pending.size());
    }
    output.pending.clear();
  }
}

void LogWriter::reopen_files() {
  for (size_t i = 0; i < kStreamCount; ++i) {
    Output& output = outputs_[i];
    if (!output.owned) continue;
    int fd = ::open(output.path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) continue;  // keep writing to the old file rather than lose records
    int old = output.fd;
    for (Output& other : outputs_) {
      if (other.fd == old) other.fd = fd;
    }
    ::close(old);
  }
}

void LogWriter::run() {
  std::string line;
  while (running_.load(std::memory_order_acquire)) {
    bool any = false;
    {
      std::lock_guard lock(outputs_mutex_);
      if (reopen_.exchange(false)) {
        flush_all();
        reopen_files();
      }
      while (queue_->pop(line)) {
        any = true;
        write_record(static_cast<Stream>(line[0]), line);
      }
      flush_all();
    }
    if (any) continue;
    // Sleeps until a record, a reopen or stop() comes, with no timeout: an idle process does not
    // wake up for its log writer.
    std::unique_lock lock(wake_mutex_);
    sleeping_.exchange(true, std::memory_order_acq_rel);  // pairs with the one in submit()
    if (!queue_->has_record() && !reopen_.load() && running_.load()) wake_.wait(lock);
    sleeping_.store(false, std::memory_order_relaxed);
  }
}

}  // namespace espd::log
