// Weighted round robin over a precomputed smooth order, shared by all workers.
#include <algorithm>
#include <numeric>

#include "proxy/scheduling/scheduler.h"

namespace espd::scheduling {

std::vector<uint16_t> smooth_weighted_order(const std::vector<uint32_t>& weights,
                                            size_t max_length) {
  std::vector<uint64_t> scaled(weights.begin(), weights.end());
  uint64_t divisor = 0;
  for (uint64_t w : scaled)
    divisor = std::gcd(divisor, w);
  if (divisor == 0) return {};
  for (uint64_t& w : scaled)
    w /= divisor;
  uint64_t total = std::accumulate(scaled.begin(), scaled.end(), uint64_t{0});
  if (total > max_length) {
    // Scale down, keeping every server at least once.
    for (uint64_t& w : scaled)
      w = std::max<uint64_t>(1, w * max_length / total);
    total = std::accumulate(scaled.begin(), scaled.end(), uint64_t{0});
  }
  std::vector<int64_t> current(scaled.size(), 0);
  std::vector<uint16_t> order;
  order.reserve(total);
  for (uint64_t step = 0; step < total; ++step) {
    size_t chosen = 0;
    for (size_t i = 0; i < scaled.size(); ++i) {
      current[i] += static_cast<int64_t>(scaled[i]);
      if (current[i] > current[chosen]) chosen = i;
    }
    current[chosen] -= static_cast<int64_t>(total);
    order.push_back(static_cast<uint16_t>(chosen));
  }
  return order;
}

const runtime::RealServer* pick_weighted_round_robin(const runtime::Pool& pool, uint64_t now_ms,
                                                     const runtime::RealServer* exclude) {
  const std::vector<uint16_t>& order = pool.weighted_order;
  if (order.empty()) return nullptr;
  uint64_t start = pool.state->next.fetch_add(1, std::memory_order_relaxed);
  // Walk the order from the shared position; unavailable servers are skipped, so their share
  // goes to the next ones in the order.
  for (size_t i = 0; i < order.size(); ++i) {
    const runtime::RealServer& server = pool.servers[order[(start + i) % order.size()]];
    if (&server != exclude && is_available(server, now_ms)) return &server;
  }
  return nullptr;
}

}  // namespace espd::scheduling
