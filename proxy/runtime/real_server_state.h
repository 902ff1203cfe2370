// Live state of one real server, shared by every worker and kept across configuration changes
// for as long as the real server stays in its pool.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "proxy/persistence/source_ip_table.h"

namespace espd::runtime {

enum class Health : uint8_t { kUp, kDown };

struct RealServerState {
  // Exchanges in flight to this server: from the moment one is scheduled until its response has
  // been fully relayed or it failed. Idle pooled connections do not count; a long-poll request
  // waiting for its answer does.
  std::atomic<int32_t> active{0};
  std::atomic<Health> health{Health::kUp};
  // Passive check: after a failed connect the server is skipped until this time (ms, loop clock).
  std::atomic<uint64_t> failing_until_ms{0};
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> failures{0};
  std::atomic<uint64_t> bytes_to_server{0};
  std::atomic<uint64_t> bytes_from_server{0};
  // TLS handshakes of new connections to the server: full ones, and resumed cached sessions.
  std::atomic<uint64_t> tls_full_handshakes{0};
  std::atomic<uint64_t> tls_resumed_handshakes{0};

  // The last health check, for the status output: written by the health thread, read by the
  // admin API (never by workers, who only read `health`).
  struct CheckReport {
    bool checked = false;
    bool ok = false;
    std::string result;    // "status 200", "timeout", "connect: Connection refused", ...
    uint64_t time_ms = 0;  // wall clock
    uint32_t consecutive = 0;
  };
  void set_report(CheckReport report) {
    std::lock_guard lock(report_mutex);
    last_check = std::move(report);
  }
  CheckReport report() const {
    std::lock_guard lock(report_mutex);
    return last_check;
  }
  mutable std::mutex report_mutex;
  CheckReport last_check;
};

// Shared per pool (all workers), kept across configuration changes while the pool exists.
struct PoolState {
  // Rotation point of the schedulers.
  std::atomic<uint64_t> next{0};
  // Stable small ids of the pool's real servers ("address:port" -> id >= 1), so source-IP entries
  // stay valid across changes for servers that remain. Touched only when a snapshot is built.
  std::mutex ids_mutex;
  std::map<std::string, uint32_t> server_ids;
  uint32_t next_server_id = 1;

  uint32_t server_id(const std::string& address_port) {
    std::lock_guard lock(ids_mutex);
    auto [it, inserted] = server_ids.emplace(address_port, next_server_id);
    if (inserted) ++next_server_id;
    return it->second;
  }
};

}  // namespace espd::runtime
