// The connections of one worker that went idle, oldest first, so that each hands back the memory
// it keeps only for traffic (TLS record buffers, I/O blocks, HTTP/2 frame pages) once it has been
// idle for a delay, not the moment its response went out. A keep-alive connection whose next
// request follows within the delay keeps them, instead of freeing and allocating about 34 KiB
// per request; a connection that stays idle still holds almost nothing after the delay. At most
// `max_held` idle connections keep them at a time (the one idle longest releases first), so that
// a burst of new connections does not add a delay's worth of buffers to the peak memory.
// Pure bookkeeping, free of the event loop (the worker arms one timer for the whole queue).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

#include "proxy/base/intrusive_list.h"

namespace espd {

class IdleReleaseQueue;

class IdleMemoryHolder {
 public:
  IdleMemoryHolder() = default;
  IdleMemoryHolder(const IdleMemoryHolder&) = delete;
  IdleMemoryHolder& operator=(const IdleMemoryHolder&) = delete;

  // Called once the holder has been idle for the queue's delay. The holder may have become busy
  // since it went idle: it checks, and releases only what an idle connection does not need.
  virtual void release_idle_memory() = 0;

  ListLink idle_link;  // the queue's; not for other lists

 protected:
  ~IdleMemoryHolder();  // leaves its queue

 private:
  friend class IdleReleaseQueue;
  IdleReleaseQueue* queue_ = nullptr;
  uint64_t idle_since_ms_ = 0;
};

class IdleReleaseQueue {
 public:
  static constexpr uint64_t kNone = std::numeric_limits<uint64_t>::max();

  IdleReleaseQueue() = default;
  ~IdleReleaseQueue();  // forgets every holder still queued
  IdleReleaseQueue(const IdleReleaseQueue&) = delete;
  IdleReleaseQueue& operator=(const IdleReleaseQueue&) = delete;

  // From the next release_due() on; holders already queued are measured against the new delay
  // (and the bound applies at the next went_idle()).
  void set_limits(uint64_t delay_ms, size_t max_held) {
    delay_ms_ = delay_ms;
    max_held_ = max_held;
  }
  uint64_t delay_ms() const { return delay_ms_; }
  size_t max_held() const { return max_held_; }

  // `holder` went idle at `now_ms` (again: it moves to the end). With a delay or a bound of 0 its
  // memory is released at once and it is not queued; beyond the bound the holder idle longest is
  // released at once. Returns true when the queue was empty before (the owner's timer must be
  // armed for next_due_ms()).
  bool went_idle(IdleMemoryHolder* holder, uint64_t now_ms);
  // `holder` is going away, or is busy for good: out of the queue (no-op if not queued).
  void forget(IdleMemoryHolder* holder);
  // Releases the memory of every holder idle for the delay at `now_ms` (each leaves the queue
  // first); returns next_due_ms() afterwards.
  uint64_t release_due(uint64_t now_ms);
  // When the oldest holder's delay ends, or kNone when the queue is empty.
  uint64_t next_due_ms() const;
  size_t size() const { return holders_.size(); }

 private:
  // front: went idle last; back: went idle first.
  IntrusiveList<IdleMemoryHolder, &IdleMemoryHolder::idle_link> holders_;
  uint64_t delay_ms_ = 0;
  size_t max_held_ = 0;
};

}  // namespace espd
