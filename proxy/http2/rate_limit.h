// A token bucket: bursts up to `burst` events pass, and then `per_second` events a second.
// Used against HTTP/2 floods (resets, SETTINGS, PING, WINDOW_UPDATE, empty frames, malformed
// streams): what real clients send in a burst passes, a sustained flood is cut off.
#pragma once

#include <algorithm>
#include <cstdint>

namespace espd::http2 {

class RateLimit {
 public:
  RateLimit(uint32_t burst, uint32_t per_second)
      : burst_(burst), per_second_(per_second), tokens_(burst) {}

  // Counts one event at `now_ms`; false when the budget is spent (the flood is on).
  bool allow(uint64_t now_ms) {
    if (now_ms > last_ms_) {
      uint64_t refill = (now_ms - last_ms_) * per_second_ / 1000;
      if (refill > 0) {
        tokens_ = static_cast<uint32_t>(std::min<uint64_t>(burst_, tokens_ + refill));
        last_ms_ = now_ms;  // until a whole token accrued, the elapsed time keeps counting
      }
    }
    if (tokens_ == 0) return false;
    --tokens_;
    return true;
  }

  // Gives `n` events back (up to the burst): for events a legitimate peer sends in proportion
  // to work done for it, such as WINDOW_UPDATEs for the DATA it received.
  void credit(uint32_t n) {
    tokens_ = static_cast<uint32_t>(std::min<uint64_t>(burst_, uint64_t{tokens_} + n));
  }

 private:
  uint32_t burst_;
  uint32_t per_second_;
  uint32_t tokens_;
  uint64_t last_ms_ = 0;
};

}  // namespace espd::http2
