// The idle connections of a worker, released after a delay (see the header).
#include "proxy/base/idle_release_queue.h"

namespace espd {

IdleMemoryHolder::~IdleMemoryHolder() {
  if (queue_) queue_->forget(this);
}

IdleReleaseQueue::~IdleReleaseQueue() {
  while (IdleMemoryHolder* holder = holders_.pop_front())
    holder->queue_ = nullptr;
}

bool IdleReleaseQueue::went_idle(IdleMemoryHolder* holder, uint64_t now_ms) {
  forget(holder);
  if (delay_ms_ == 0 || max_held_ == 0) {
    holder->release_idle_memory();
    return false;
  }
  bool was_empty = holders_.empty();
  holder->idle_since_ms_ = now_ms;
  holder->queue_ = this;
  holders_.push_front(holder);
  while (holders_.size() > max_held_) {
    IdleMemoryHolder* oldest = holders_.back();
    forget(oldest);
    oldest->release_idle_memory();
  }
  return was_empty;
}

void IdleReleaseQueue::forget(IdleMemoryHolder* holder) {
  if (holder->queue_ != this) return;
  holders_.remove(holder);
  holder->queue_ = nullptr;
}

uint64_t IdleReleaseQueue::release_due(uint64_t now_ms) {
  while (IdleMemoryHolder* oldest = holders_.back()) {
    if (now_ms < oldest->idle_since_ms_ + delay_ms_) break;
    forget(oldest);
    oldest->release_idle_memory();  // may forget or queue other holders: the loop re-reads back()
  }
  return next_due_ms();
}

uint64_t IdleReleaseQueue::next_due_ms() const {
  const IdleMemoryHolder* oldest = holders_.back();
  return oldest ? oldest->idle_since_ms_ + delay_ms_ : kNone;
}

}  // namespace espd
