// Round-robin choice among a pool's available real servers.
#include "proxy/scheduling/round_robin.h"

namespace espd::scheduling {

bool is_available(const runtime::RealServer& server, uint64_t now_ms) {
  if (!server.config->enabled || server.config->drain) return false;
  if (server.state->health.load(std::memory_order_relaxed) != runtime::Health::kUp) return false;
  return server.state->failing_until_ms.load(std::memory_order_relaxed) <= now_ms;
}

const runtime::RealServer* pick_round_robin(const runtime::Pool& pool, uint64_t now_ms) {
  size_t count = pool.servers.size();
  if (count == 0) return nullptr;
  uint64_t start = pool.state->next.fetch_add(1, std::memory_order_relaxed);
  for (size_t i = 0; i < count; ++i) {
    const runtime::RealServer& server = pool.servers[(start + i) % count];
    if (is_available(server, now_ms)) return &server;
  }
  return nullptr;
}

}  // namespace espd::scheduling
