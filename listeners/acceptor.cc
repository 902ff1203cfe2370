// Accepting connections on one worker's listening sockets.
#include "listeners/acceptor.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

namespace espd::listeners {
namespace {

// Accepting in batches keeps one busy listener from starving the rest of the loop.
constexpr int kAcceptBatch = 64;

}  // namespace

void Acceptor::update(const WorkerListeners& wanted) {
  for (auto it = listeners_.begin(); it != listeners_.end();) {
    if (wanted.count(it->first)) {
      ++it;
      continue;
    }
    event_free(it->second->ev);
    ::close(it->second->fd);
    it = listeners_.erase(it);
  }
  for (const auto& [address, fd] : wanted) {
    if (listeners_.count(address)) continue;
    auto listener = std::make_unique<Listener>(Listener{this, address, fd, nullptr});
    listener->ev =
        event_new(base_, fd, EV_READ | EV_PERSIST, &Acceptor::on_readable, listener.get());
    event_add(listener->ev, nullptr);
    listeners_[address] = std::move(listener);
  }
}

void Acceptor::stop() {
  for (auto& [address, listener] : listeners_) {
    event_free(listener->ev);
    ::close(listener->fd);
  }
  listeners_.clear();
}

void Acceptor::on_readable(evutil_socket_t fd, short, void* arg) {
  auto* listener = static_cast<Listener*>(arg);
  Acceptor* self = listener->owner;
  net::SocketAddress local = listener->address;
  for (int i = 0; i < kAcceptBatch; ++i) {
    sockaddr_storage peer{};
    socklen_t length = sizeof(peer);
    int client =
        ::accept4(fd, reinterpret_cast<sockaddr*>(&peer), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (client < 0) {
      // EAGAIN: drained. EMFILE/ENFILE/ENOBUFS: leave the rest queued; level-triggered polling
      // retries on the next loop iteration.
      return;
    }
    int one = 1;
    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    self->on_accept_(client, net::from_sockaddr(reinterpret_cast<sockaddr*>(&peer), length), local);
    // on_accept_ may have changed the listener set (it does not today); stop if so.
    if (self->listeners_.find(local) == self->listeners_.end()) return;
  }
}

}  // namespace espd::listeners
