// The pace a client must keep while sending a request body (slowloris on bodies): no silence
// longer than the body timeout, and at least the minimum rate over each period of that length.
// Pure logic on a millisecond clock; the session feeds it bytes and asks it when the timer fires.
#pragma once

#include <cstdint>

namespace espd::client {

class RequestBodyPace {
 public:
  enum class Verdict : uint8_t {
    kOk,
    kStalled,  // no body byte for timeout_ms
    kTooSlow,  // fewer than min_rate bytes/s over the last period of timeout_ms
  };

  RequestBodyPace() = default;
  RequestBodyPace(uint64_t timeout_ms, uint64_t min_rate_bytes_s)
      : timeout_ms_(timeout_ms), min_rate_bytes_s_(min_rate_bytes_s) {}

  // The body starts now, or starts over after a wait that was not the client's fault (espd had
  // stopped reading because the real server was not taking the body, or a 100 Continue came).
  void restart(uint64_t now_ms);
  void count(uint64_t bytes, uint64_t now_ms);
  // Judges the pace at `now_ms`. kOk opens a new period when the current one is over.
  Verdict check(uint64_t now_ms);
  // When check() must be called next (absolute, ms).
  uint64_t next_check_ms() const;

 private:
  uint64_t timeout_ms_ = 60000;
  uint64_t min_rate_bytes_s_ = 0;
  uint64_t period_start_ms_ = 0;
  uint64_t period_bytes_ = 0;
  uint64_t last_byte_ms_ = 0;
};

}  // namespace espd::client
