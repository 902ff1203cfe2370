// An accepted client connection: owns the socket, the TLS state, the buffers and the timer, runs
// the TLS handshake and then hands the bytes to the protocol session.
#pragma once

#include <memory>

#include "proxy/base/io_buffer.h"
#include "proxy/client/client_session.h"
#include "proxy/net/io_watcher.h"
#include "proxy/net/output_channel.h"
#include "proxy/net/socket_address.h"
#include "proxy/net/transport.h"
#include "proxy/runtime/snapshot.h"
#include "proxy/runtime/worker.h"

namespace espd::client {

class ClientConnection final : public runtime::ClientConnectionBase, public IdleMemoryHolder {
 public:
  ClientConnection(runtime::Worker& worker, int fd, const net::SocketAddress& peer,
                   const runtime::VirtualService& service, runtime::SnapshotUse* snapshot);
  ~ClientConnection() override;

  void start();

  runtime::Worker& worker() { return worker_; }
  BufferPool& buffers() { return worker_.buffers(); }
  const runtime::VirtualService& service() const { return service_; }
  const net::SocketAddress& peer() const { return peer_; }
  bool tls() const { return transport_.is_tls(); }
  net::Transport& transport() { return transport_; }
  IoBuffer& input() { return input_; }
  net::OutputChannel& output() { return output_; }
  bool closed() const { return closed_; }
  uint64_t now_ms() const { return worker_.now_ms(); }
  // Bytes received from the client (the session counts what it reads).
  void count_read(size_t bytes) { bytes_read_ += bytes; }
  uint64_t bytes_read() const { return bytes_read_; }
  uint64_t bytes_written() const { return output_.bytes_written(); }

  void want_read(bool on) { io_.want_read(on); }
  void want_write(bool on) { io_.want_write(on); }
  void schedule_read() { io_.activate_read(); }
  void schedule_flush() { io_.activate_write(); }
  void arm_timer_ms(uint64_t ms) { timer_.arm_ms(ms); }
  void cancel_timer() { timer_.cancel(); }

  // Writes what is queued; keeps write interest while blocked. kError means the client is gone.
  net::FlushStatus flush();
  // Closes now (deletion is deferred until the callback stack unwinds).
  void close();
  // Sends close_notify / FIN after the queued output, then reads and discards what the client
  // still sends for a short while before closing, so a response followed by a close is not
  // destroyed by a TCP reset (the "lingering close").
  void close_after_output();

  void shutdown_gracefully() override;

  // The session has nothing in flight: its buffers go back once it stays idle for the configured
  // delay (Worker::went_idle); going idle again restarts the delay.
  void went_idle() { worker_.went_idle(this); }
  // IdleMemoryHolder: the delay is over (the session checks it is still idle).
  void release_idle_memory() override;

 private:
  enum class State : uint8_t { kHandshake, kSession, kLingering, kClosed };

  static void on_event(evutil_socket_t fd, short what, void* arg);
  static void on_timer(evutil_socket_t fd, short what, void* arg);
  void step_handshake();
  void start_session();
  void log_connection(const char* event);
  void linger_read();
  void begin_linger();

  runtime::Worker& worker_;
  const runtime::VirtualService& service_;
  runtime::SnapshotUse* snapshot_;
  net::SocketAddress peer_;
  net::Transport transport_;
  net::IoWatcher io_;
  net::Timer timer_;
  IoBuffer input_;
  net::OutputChannel output_;
  std::unique_ptr<ClientSession> session_;
  uint64_t opened_ms_ = 0;
  uint64_t bytes_read_ = 0;
  State state_ = State::kHandshake;
  bool closed_ = false;
  bool close_pending_ = false;  // close_after_output() waits for the output to drain
};

}  // namespace espd::client
