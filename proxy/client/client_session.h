// The protocol spoken on a client connection once TLS (if any) is up: HTTP/1.1 or HTTP/2.
#pragma once

namespace espd::client {

class ClientSession {
 public:
  virtual ~ClientSession() = default;
  virtual void on_readable() = 0;
  virtual void on_writable() = 0;
  // The connection's timer fired (the session armed it).
  virtual void on_timer() = 0;
  // Graceful stop: close when idle, else after the response in flight.
  virtual void shutdown_gracefully() = 0;
  // The connection is closing: abandon whatever is in flight (the exchange, if any).
  virtual void abandon() = 0;
  // Nothing in flight and nothing buffered: the connection may hand its TLS buffers back.
  virtual bool idle() const = 0;
  // The connection has stayed idle for the configured delay: hands back what only traffic needs
  // (TLS record buffers and, for HTTP/2, nghttp2's frame pages), unless it is busy again.
  virtual void release_idle_memory() = 0;
};

}  // namespace espd::client
