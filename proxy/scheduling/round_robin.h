// Round-robin choice among a pool's available real servers.
#pragma once

#include "proxy/runtime/snapshot.h"

namespace espd::scheduling {

// Available: enabled, not draining, up by health check, not in a passive back-off.
bool is_available(const runtime::RealServer& server, uint64_t now_ms);

// The next available server in rotation (shared by all workers), or null if none is available.
const runtime::RealServer* pick_round_robin(const runtime::Pool& pool, uint64_t now_ms);

}  // namespace espd::scheduling
