// Weighted least connection: the server with the lowest active/weight wins; ties rotate.
#include "proxy/scheduling/scheduler.h"

namespace espd::scheduling {

const runtime::RealServer* pick_least_connection(const runtime::Pool& pool, uint64_t now_ms,
                                                 const runtime::RealServer* exclude) {
  size_t count = pool.servers.size();
  if (count == 0) return nullptr;
  // Starting the scan at a rotating position makes the first of several equal candidates a
  // different one each time.
  uint64_t start = pool.state->next.fetch_add(1, std::memory_order_relaxed);
  const runtime::RealServer* best = nullptr;
  uint64_t best_active = 0;
  uint64_t best_weight = 1;
  for (size_t i = 0; i < count; ++i) {
    const runtime::RealServer& server = pool.servers[(start + i) % count];
    if (&server == exclude || !is_available(server, now_ms)) continue;
    int32_t active = server.state->active.load(std::memory_order_relaxed);
    uint64_t a = active > 0 ? static_cast<uint64_t>(active) : 0;
    uint64_t w = server.config->weight;
    // a / w < best_active / best_weight, without division.
    if (!best || a * best_weight < best_active * w) {
      best = &server;
      best_active = a;
      best_weight = w;
    }
  }
  return best;
}

}  // namespace espd::scheduling
