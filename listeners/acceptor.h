// Accepting connections on one worker's listening sockets.
#pragma once

#include <event2/event.h>

#include <functional>
#include <map>
#include <memory>

#include "listeners/listener_registry.h"
#include "proxy/net/socket_address.h"

namespace espd::listeners {

// Calls `on_accept(fd, peer, listen_address)` for every accepted socket (non-blocking,
// close-on-exec, TCP_NODELAY). Owns the worker's listening sockets: closes the ones a new
// configuration drops, and all of them on stop(). Out of file descriptors (or kernel memory), a
// listener pauses for kPauseMs instead of spinning on a socket that stays readable; the waiting
// connections stay queued in the kernel meanwhile.
class Acceptor {
 public:
  using AcceptHandler =
      std::function<void(int fd, const net::SocketAddress& peer, const net::SocketAddress& local)>;

  Acceptor(event_base* base, AcceptHandler on_accept)
      : base_(base), on_accept_(std::move(on_accept)) {}
  ~Acceptor() { stop(); }

  static constexpr int kPauseMs = 100;

  void update(const WorkerListeners& listeners);
  void stop();
  size_t size() const { return listeners_.size(); }
  uint64_t pauses() const { return pauses_; }

 private:
  struct Listener {
    Acceptor* owner;
    net::SocketAddress address;
    int fd;
    event* ev;
    event* resume;  // timer ending a pause
  };
  static void on_readable(evutil_socket_t fd, short what, void* arg);
  static void on_resume(evutil_socket_t fd, short what, void* arg);
  void pause(Listener& listener, int error);
  static void free_listener(Listener& listener);

  event_base* base_;
  AcceptHandler on_accept_;
  std::map<net::SocketAddress, std::unique_ptr<Listener>> listeners_;
  uint64_t pauses_ = 0;
  uint64_t pause_logged_ms_ = 0;
};

}  // namespace espd::listeners
