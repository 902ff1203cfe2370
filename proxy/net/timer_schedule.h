// When a connection's timer event must really be (re-)armed: the decisions of net::Timer, kept
// free of libevent so they can be tested. Times are loop milliseconds.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>

namespace espd::net {

// The owner sets and clears a deadline as its state changes (several times per request). The
// event loop is only told when the new deadline is earlier than the event already armed; a later
// deadline, or none, leaves the event armed where it is, and when it fires early it is re-armed
// for what is left. So a deadline that moves later (activity, the next request) costs a store.
class TimerSchedule {
 public:
  static constexpr uint64_t kNone = std::numeric_limits<uint64_t>::max();

  // The owner wants its callback at `deadline` (>= now or in the past: as soon as possible).
  // Returns the delay to arm the event with, or nothing when the armed event comes in time.
  std::optional<uint64_t> set(uint64_t deadline, uint64_t now) {
    deadline_ = deadline;
    if (expiry_ != kNone && expiry_ <= deadline) return std::nullopt;
    expiry_ = deadline;
    return deadline > now ? deadline - now : 0;
  }

  // No callback wanted; the armed event (if any) will fire for nothing.
  void clear() { deadline_ = kNone; }

  enum class Fire : uint8_t {
    kDue,      // the deadline has come: run the owner's callback (the deadline is cleared)
    kRearm,    // early (the deadline moved later): arm the event again with `rearm_ms`
    kNothing,  // no deadline any more
  };
  // The armed event fired at `now` (it is no longer pending).
  Fire fire(uint64_t now, uint64_t& rearm_ms) {
    expiry_ = kNone;
    if (deadline_ == kNone) return Fire::kNothing;
    if (now >= deadline_) {
      deadline_ = kNone;
      return Fire::kDue;
    }
    rearm_ms = deadline_ - now;
    expiry_ = deadline_;
    return Fire::kRearm;
  }

  // The event was removed from the loop.
  void stopped() { expiry_ = kNone; }

  bool has_deadline() const { return deadline_ != kNone; }
  bool event_armed() const { return expiry_ != kNone; }
  uint64_t deadline() const { return deadline_; }

 private:
  uint64_t deadline_ = kNone;  // when the owner wants its callback
  uint64_t expiry_ = kNone;    // when the armed event fires; kNone: not armed
};

}  // namespace espd::net
