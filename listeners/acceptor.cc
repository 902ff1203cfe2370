// Accepting connections on one worker's listening sockets.
#include "listeners/acceptor.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "proxy/log/event.h"
#include "proxy/net/io_watcher.h"
#include "proxy/net/loop_activity.h"

namespace espd::listeners {
namespace {

// Accepting in batches keeps one busy listener from starving the rest of the loop.
constexpr int kAcceptBatch = 64;
// A pause is logged at most this often per worker.
constexpr uint64_t kPauseLogIntervalMs = 10000;

}  // namespace

void Acceptor::free_listener(Listener& listener) {
  event_free(listener.ev);
  event_free(listener.resume);
  ::close(listener.fd);
}

void Acceptor::update(const WorkerListeners& wanted) {
  for (auto it = listeners_.begin(); it != listeners_.end();) {
    if (wanted.count(it->first)) {
      ++it;
      continue;
    }
    free_listener(*it->second);
    it = listeners_.erase(it);
  }
  for (const auto& [address, fd] : wanted) {
    if (listeners_.count(address)) continue;
    auto listener = std::make_unique<Listener>(Listener{this, address, fd, nullptr, nullptr});
    listener->ev =
        event_new(base_, fd, EV_READ | EV_PERSIST, &Acceptor::on_readable, listener.get());
    listener->resume = evtimer_new(base_, &Acceptor::on_resume, listener.get());
    event_add(listener->ev, nullptr);
    listeners_[address] = std::move(listener);
  }
}

void Acceptor::stop() {
  for (auto& [address, listener] : listeners_)
    free_listener(*listener);
  listeners_.clear();
}

void Acceptor::on_readable(evutil_socket_t fd, short, void* arg) {
  ++net::loop_activity;
  auto* listener = static_cast<Listener*>(arg);
  Acceptor* self = listener->owner;
  net::SocketAddress local = listener->address;
  for (int i = 0; i < kAcceptBatch; ++i) {
    sockaddr_storage peer{};
    socklen_t length = sizeof(peer);
    int client =
        ::accept4(fd, reinterpret_cast<sockaddr*>(&peer), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (client < 0) {
      int error = errno;
      // Out of descriptors or memory: the listener stays readable, so without a pause the loop
      // would spin. EAGAIN: drained; other errors concern one aborted connection only.
      if (error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM) {
        self->pause(*listener, error);
      }
      if (error == EINTR || error == ECONNABORTED) continue;
      return;
    }
    // TCP_NODELAY comes with the socket: Linux copies it from the listening socket
    // (open_listening_socket sets it), which saves a setsockopt per connection.
    self->on_accept_(client, net::from_sockaddr(reinterpret_cast<sockaddr*>(&peer), length), local);
    // on_accept_ may have changed the listener set (it does not today); stop if so.
    if (self->listeners_.find(local) == self->listeners_.end()) return;
  }
}

void Acceptor::pause(Listener& listener, int error) {
  ++pauses_;
  event_del(listener.ev);
  timeval delay{0, kPauseMs * 1000};
  evtimer_add(listener.resume, &delay);
  uint64_t now = net::monotonic_now_ms();
  if (pause_logged_ms_ != 0 && now - pause_logged_ms_ < kPauseLogIntervalMs) return;
  pause_logged_ms_ = now;
  log::Event(log::Level::kWarning, "accept_paused")
      .field("listen", listener.address.to_string())
      .field("detail", std::string(std::strerror(error)))
      .field("pause_ms", kPauseMs)
      .field("pauses", pauses_)
      .emit();
}

void Acceptor::on_resume(evutil_socket_t, short, void* arg) {
  auto* listener = static_cast<Listener*>(arg);
  event_add(listener->ev, nullptr);
}

}  // namespace espd::listeners
