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
// configuration drops, and all of them on stop().
class Acceptor {
 public:
  using AcceptHandler =
      std::function<void(int fd, const net::SocketAddress& peer, const net::SocketAddress& local)>;

  Acceptor(event_base* base, AcceptHandler on_accept)
      : base_(base), on_accept_(std::move(on_accept)) {}
  ~Acceptor() { stop(); }

  void update(const WorkerListeners& listeners);
  void stop();
  size_t size() const { return listeners_.size(); }

 private:
  struct Listener {
    Acceptor* owner;
    net::SocketAddress address;
    int fd;
    event* ev;
  };
  static void on_readable(evutil_socket_t fd, short what, void* arg);

  event_base* base_;
  AcceptHandler on_accept_;
  std::map<net::SocketAddress, std::unique_ptr<Listener>> listeners_;
};

}  // namespace espd::listeners
