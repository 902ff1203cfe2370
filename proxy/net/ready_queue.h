// Per-worker queue of sockets whose callback must run on the next loop turn although the kernel
// will not report them ready (bytes already buffered in user space or inside OpenSSL, output
// coalesced during this turn).
//
// Why not event_active() on the socket's own event: libevent's event_add() does not register an
// event with epoll while that event is active, so activating a write event and then asking for
// write readiness in the same turn leaves it unregistered for good.
#pragma once

#include <event2/event.h>
#include <event2/event_struct.h>

namespace espd::net {

class IoWatcher;

class ReadyQueue {
 public:
  ReadyQueue() = default;
  ~ReadyQueue();
  ReadyQueue(const ReadyQueue&) = delete;
  ReadyQueue& operator=(const ReadyQueue&) = delete;

  void init(event_base* base);
  // Queues `watcher` (once; flags accumulate) for its callback with `what`.
  void push(IoWatcher* watcher, short what);
  void remove(IoWatcher* watcher);
  // Before the event base goes: forgets everything queued and the base's event.
  void close();

 private:
  static void on_ready(evutil_socket_t fd, short what, void* arg);

  struct event event_;
  bool initialized_ = false;
  IoWatcher* head_ = nullptr;
  IoWatcher* tail_ = nullptr;
};

}  // namespace espd::net
