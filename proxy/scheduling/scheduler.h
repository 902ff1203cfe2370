// Choosing a real server of a pool for a new client (no persistence, or persistence that does not
// apply): round robin, weighted round robin or weighted least connection. Lock-free: the shared
// state is atomics in PoolState and RealServerState.
#pragma once

#include <cstdint>
#include <vector>

#include "proxy/runtime/snapshot.h"

namespace espd::scheduling {

// Available for new clients: enabled, not draining, up by health check, not in a passive
// back-off. (A client persisted to a draining server may still go there: see persistence.)
bool is_available(const runtime::RealServer& server, uint64_t now_ms);
// Up and enabled (draining allowed): a persisted client may still be sent there.
bool accepts_persisted(const runtime::RealServer& server, uint64_t now_ms);

// The chosen server, or null if none is available. `exclude` (may be null) is skipped: the
// server whose connection just failed, when retrying.
const runtime::RealServer* pick(const runtime::Pool& pool, uint64_t now_ms,
                                const runtime::RealServer* exclude = nullptr);

const runtime::RealServer* pick_round_robin(const runtime::Pool& pool, uint64_t now_ms,
                                            const runtime::RealServer* exclude);
const runtime::RealServer* pick_weighted_round_robin(const runtime::Pool& pool, uint64_t now_ms,
                                                     const runtime::RealServer* exclude);
const runtime::RealServer* pick_least_connection(const runtime::Pool& pool, uint64_t now_ms,
                                                 const runtime::RealServer* exclude);

// The smooth weighted round-robin order of server indexes for the given weights (nginx's
// algorithm): weights 3:1 give A A B A ..., never long runs of one server. The weights are
// scaled down (proportions kept within rounding) so the order has at most `max_length` entries.
std::vector<uint16_t> smooth_weighted_order(const std::vector<uint32_t>& weights,
                                            size_t max_length = 4096);

}  // namespace espd::scheduling
