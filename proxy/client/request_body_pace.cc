// The pace a client must keep while sending a request body.
#include "proxy/client/request_body_pace.h"

namespace espd::client {

void RequestBodyPace::restart(uint64_t now_ms) {
  period_start_ms_ = now_ms;
  period_bytes_ = 0;
  last_byte_ms_ = now_ms;
}

void RequestBodyPace::count(uint64_t bytes, uint64_t now_ms) {
  if (bytes == 0) return;
  period_bytes_ += bytes;
  last_byte_ms_ = now_ms;
}

RequestBodyPace::Verdict RequestBodyPace::check(uint64_t now_ms) {
  if (now_ms - last_byte_ms_ >= timeout_ms_) return Verdict::kStalled;
  if (min_rate_bytes_s_ == 0) return Verdict::kOk;
  uint64_t elapsed = now_ms - period_start_ms_;
  if (elapsed < timeout_ms_) return Verdict::kOk;
  // bytes / (elapsed / 1000) < rate, without a division that could round a slow client up.
  if (period_bytes_ * 1000 < min_rate_bytes_s_ * elapsed) return Verdict::kTooSlow;
  period_start_ms_ = now_ms;
  period_bytes_ = 0;
  return Verdict::kOk;
}

uint64_t RequestBodyPace::next_check_ms() const {
  uint64_t silence_deadline = last_byte_ms_ + timeout_ms_;
  if (min_rate_bytes_s_ == 0) return silence_deadline;
  uint64_t period_end = period_start_ms_ + timeout_ms_;
  return period_end < silence_deadline ? period_end : silence_deadline;
}

}  // namespace espd::client
