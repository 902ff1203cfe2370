// Per-worker queue of sockets whose callback must run on the next loop turn.
#include "proxy/net/ready_queue.h"

#include "proxy/net/io_watcher.h"

namespace espd::net {

ReadyQueue::~ReadyQueue() {
  close();
}

void ReadyQueue::close() {
  while (head_)
    remove(head_);
  if (initialized_) event_del(&event_);
  initialized_ = false;
}

void ReadyQueue::init(event_base* base) {
  event_assign(&event_, base, -1, 0, &ReadyQueue::on_ready, this);
  initialized_ = true;
}

void ReadyQueue::push(IoWatcher* watcher, short what) {
  watcher->ready_what_ |= what;
  if (watcher->ready_queued_) return;
  watcher->ready_queued_ = true;
  watcher->ready_next_ = nullptr;
  watcher->ready_prev_ = tail_;
  if (tail_) {
    tail_->ready_next_ = watcher;
  } else {
    head_ = watcher;
  }
  tail_ = watcher;
  event_active(&event_, 0, 0);
}

void ReadyQueue::remove(IoWatcher* watcher) {
  if (!watcher->ready_queued_) return;
  if (watcher->ready_prev_) {
    watcher->ready_prev_->ready_next_ = watcher->ready_next_;
  } else {
    head_ = watcher->ready_next_;
  }
  if (watcher->ready_next_) {
    watcher->ready_next_->ready_prev_ = watcher->ready_prev_;
  } else {
    tail_ = watcher->ready_prev_;
  }
  watcher->ready_queued_ = false;
  watcher->ready_what_ = 0;
  watcher->ready_next_ = watcher->ready_prev_ = nullptr;
}

void ReadyQueue::on_ready(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<ReadyQueue*>(arg);
  // Only what was queued before this turn: a callback that queues itself again runs next turn.
  IoWatcher* last = self->tail_;
  while (IoWatcher* watcher = self->head_) {
    bool was_last = watcher == last;
    short what = watcher->ready_what_;
    self->remove(watcher);
    watcher->run(what);  // may delete other queued watchers: they leave the queue in clear()
    if (was_last) break;
  }
  if (self->head_) event_active(&self->event_, 0, 0);
}

}  // namespace espd::net
