// Round robin, and what "available" means for every scheduler.
#include "proxy/scheduling/scheduler.h"

namespace espd::scheduling {

bool accepts_persisted(const runtime::RealServer& server, uint64_t now_ms) {
  if (!server.config->enabled) return false;
  if (server.state->health.load(std::memory_order_relaxed) != runtime::Health::kUp) return false;
  return server.state->failing_until_ms.load(std::memory_order_relaxed) <= now_ms;
}

bool is_available(const runtime::RealServer& server, uint64_t now_ms) {
  return !server.config->drain && accepts_persisted(server, now_ms);
}

const runtime::RealServer* pick_round_robin(const runtime::Pool& pool, uint64_t now_ms,
                                            const runtime::RealServer* exclude) {
  size_t count = pool.servers.size();
  if (count == 0) return nullptr;
  uint64_t start = pool.state->next.fetch_add(1, std::memory_order_relaxed);
  for (size_t i = 0; i < count; ++i) {
    const runtime::RealServer& server = pool.servers[(start + i) % count];
    if (&server != exclude && is_available(server, now_ms)) return &server;
  }
  return nullptr;
}

const runtime::RealServer* pick(const runtime::Pool& pool, uint64_t now_ms,
                                const runtime::RealServer* exclude) {
  switch (pool.config->scheduling) {
    case config::Scheduling::kLeastConnection:
      return pick_least_connection(pool, now_ms, exclude);
    case config::Scheduling::kWeightedRoundRobin:
      return pick_weighted_round_robin(pool, now_ms, exclude);
    case config::Scheduling::kRoundRobin:
      break;
  }
  return pick_round_robin(pool, now_ms, exclude);
}

}  // namespace espd::scheduling
