// When the control thread next has something to do.
#pragma once

#include <algorithm>
#include <cstdint>

namespace espd::runtime {

// While shutting down, how often the control thread looks whether the workers are done.
constexpr uint64_t kShutdownPollMs = 50;

// Milliseconds until the control thread's next tick: while shutting down kShutdownPollMs;
// otherwise the time to the earlier of the next certificate expiry check and the next session
// ticket rotation (0 when one is due), so that an idle process sleeps until then.
inline uint64_t control_tick_delay_ms(uint64_t now_ms, bool shutting_down,
                                      uint64_t next_expiry_check_ms,
                                      uint64_t next_ticket_rotation_ms) {
  if (shutting_down) return kShutdownPollMs;
  uint64_t next = std::min(next_expiry_check_ms, next_ticket_rotation_ms);
  return next > now_ms ? next - now_ms : 0;
}

}  // namespace espd::runtime
