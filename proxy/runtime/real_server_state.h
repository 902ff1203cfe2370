// Live state of one real server, shared by every worker and kept across configuration changes
// for as long as the real server stays in its pool.
#pragma once

#include <atomic>
#include <cstdint>

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
};

// Shared per pool (all workers): the rotation point of round-robin schedulers.
struct PoolState {
  std::atomic<uint64_t> next{0};
};

}  // namespace espd::runtime
