// Read/write readiness and a timer for one socket.
#include "proxy/net/io_watcher.h"

#include <sys/time.h>

#include <ctime>

#include "proxy/net/loop_activity.h"

namespace espd::net {

void IoWatcher::init(event_base* base, ReadyQueue& ready, int fd, event_callback_fn callback,
                     void* arg) {
  clear();
  ready_ = &ready;
  callback_ = callback;
  arg_ = arg;
  fd_ = fd;
  event_assign(&read_, base, fd, EV_READ | EV_PERSIST, &IoWatcher::on_event, this);
  event_assign(&write_, base, fd, EV_WRITE | EV_PERSIST, &IoWatcher::on_event, this);
  initialized_ = true;
}

void IoWatcher::on_event(evutil_socket_t fd, short what, void* arg) {
  ++loop_activity;
  auto* self = static_cast<IoWatcher*>(arg);
  self->callback_(fd, what, self->arg_);  // may destroy `self`
}

void IoWatcher::want_read(bool on) {
  if (!initialized_ || on == reading_) return;
  reading_ = on;
  if (on) {
    event_add(&read_, nullptr);
  } else {
    event_del(&read_);
  }
}

void IoWatcher::want_write(bool on) {
  if (!initialized_ || on == writing_) return;
  writing_ = on;
  if (on) {
    event_add(&write_, nullptr);
  } else {
    event_del(&write_);
  }
}

void IoWatcher::clear() {
  if (ready_) ready_->remove(this);
  if (!initialized_) return;
  if (reading_) event_del(&read_);
  if (writing_) event_del(&write_);
  reading_ = writing_ = false;
  initialized_ = false;
}

namespace {

void add_ms(struct event* event, uint64_t milliseconds) {
  timeval tv{static_cast<time_t>(milliseconds / 1000),
             static_cast<suseconds_t>((milliseconds % 1000) * 1000)};
  evtimer_add(event, &tv);
}

}  // namespace

void Timer::init(event_base* base, event_callback_fn callback, void* arg) {
  stop();
  evtimer_assign(&event_, base, callback, arg);
  base_ = base;
}

void Timer::arm_ms(uint64_t milliseconds) {
  if (!base_) return;
  uint64_t now = monotonic_now_ms();
  if (std::optional<uint64_t> delay = schedule_.set(now + milliseconds, now)) {
    add_ms(&event_, *delay);
  }
}

bool Timer::fired() {
  uint64_t rearm_ms = 0;
  switch (schedule_.fire(monotonic_now_ms(), rearm_ms)) {
    case TimerSchedule::Fire::kDue:
      return true;
    case TimerSchedule::Fire::kRearm:
      add_ms(&event_, rearm_ms);
      return false;
    case TimerSchedule::Fire::kNothing:
      return false;
  }
  return false;
}

void Timer::stop() {
  if (base_ && schedule_.event_armed()) evtimer_del(&event_);
  schedule_.stopped();
  schedule_.clear();
}

uint64_t monotonic_now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000 + static_cast<uint64_t>(ts.tv_nsec) / 1000000;
}

}  // namespace espd::net
