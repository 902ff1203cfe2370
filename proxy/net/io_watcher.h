// Read/write readiness and a timer for one socket, embedded in its owner (no extra allocation),
// with interest tracked so the event loop is only told about changes.
#pragma once

#include <event2/event.h>
#include <event2/event_struct.h>

#include <cstdint>

#include "proxy/net/ready_queue.h"
#include "proxy/net/timer_schedule.h"

namespace espd::net {

class IoWatcher {
 public:
  IoWatcher() = default;
  ~IoWatcher() { clear(); }
  IoWatcher(const IoWatcher&) = delete;
  IoWatcher& operator=(const IoWatcher&) = delete;

  // `callback(fd, EV_READ or EV_WRITE, arg)`. `ready` runs activate_read/activate_write.
  void init(event_base* base, ReadyQueue& ready, int fd, event_callback_fn callback, void* arg);
  void want_read(bool on);
  void want_write(bool on);
  // Runs the callback for readability on the next loop turn (bytes are already buffered).
  void activate_read() { ready_->push(this, EV_READ); }
  // Runs the callback for writability on the next loop turn (to flush coalesced output).
  void activate_write() { ready_->push(this, EV_WRITE); }
  bool reading() const { return reading_; }
  bool writing() const { return writing_; }
  // Removes both events (before the socket is closed or handed to another owner).
  void clear();

 private:
  friend class ReadyQueue;
  static void on_event(evutil_socket_t fd, short what, void* arg);
  void run(short what) { callback_(fd_, what, arg_); }

  struct event read_;
  struct event write_;
  ReadyQueue* ready_ = nullptr;
  IoWatcher* ready_next_ = nullptr;
  IoWatcher* ready_prev_ = nullptr;
  event_callback_fn callback_ = nullptr;
  void* arg_ = nullptr;
  int fd_ = -1;
  short ready_what_ = 0;
  bool ready_queued_ = false;
  bool initialized_ = false;
  bool reading_ = false;
  bool writing_ = false;
};

// A one-shot timer with one deadline, re-armed lazily (TimerSchedule): arm_ms() with a later
// deadline and cancel() do not touch the event loop, so the several deadline changes of a
// request (header, exchange, pool idle, keep-alive idle) cost about nothing. Timeouts stay exact:
// an event that fires before the deadline is re-armed for the rest.
class Timer {
 public:
  Timer() = default;
  ~Timer() { stop(); }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  void init(event_base* base, event_callback_fn callback, void* arg);
  // The callback runs `milliseconds` from now (replacing any earlier deadline).
  void arm_ms(uint64_t milliseconds);
  // No callback (the event may stay armed and fire for nothing: fired() says so).
  void cancel() { schedule_.clear(); }
  // The first thing the owner's callback calls: false means "not due" (fired early and re-armed,
  // or cancelled since): return at once.
  bool fired();
  // Removes the event from the loop (before the owner goes).
  void stop();

 private:
  struct event event_;
  event_base* base_ = nullptr;
  TimerSchedule schedule_;
};

// Milliseconds of the coarse monotonic clock (CLOCK_MONOTONIC_COARSE: read from the vDSO, no
// system call; a few ms of resolution, the clock libevent's own timers run on). Every deadline
// and duration in espd is measured on it, in every thread, so a step of the wall clock moves
// no timeout. Wall-clock times (log records, status) come from std::chrono::system_clock.
uint64_t monotonic_now_ms();

}  // namespace espd::net
