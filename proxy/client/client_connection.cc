// An accepted client connection.
#include "proxy/client/client_connection.h"

#include "certs/server_tls_context.h"
#include "proxy/client/http1_client_session.h"
#include "proxy/client/http2_client_session.h"
#include "proxy/esp/esp_log.h"
#include "proxy/log/event.h"

namespace espd::client {
namespace {

constexpr uint64_t kLingerMs = 2000;

}  // namespace

ClientConnection::ClientConnection(runtime::Worker& worker, int fd, const net::SocketAddress& peer,
                                   const runtime::VirtualService& service,
                                   runtime::SnapshotUse* snapshot)
    : worker_(worker),
      service_(service),
      snapshot_(snapshot),
      peer_(peer),
      transport_(fd, nullptr) {
  worker_.add_connection(this);
  io_.init(worker.base(), worker.ready_queue(), fd, &ClientConnection::on_event, this);
  timer_.init(worker.base(), &ClientConnection::on_timer, this);
}

ClientConnection::~ClientConnection() {
  session_.reset();
  io_.clear();
  timer_.cancel();
}

void ClientConnection::start() {
  opened_ms_ = worker_.now_ms();
  if (!service_.tls) {
    start_session();
    return;
  }
  SSL* ssl = service_.tls->new_ssl(transport_.fd());
  if (!ssl) {
    close();
    return;
  }
  transport_.attach_ssl(ssl);
  state_ = State::kHandshake;
  // Slow or silent handshakes count against the request-header timeout.
  timer_.arm_ms(uint64_t{service_.config->limits.header_timeout_s} * 1000);
  io_.want_read(true);
}

void ClientConnection::on_event(evutil_socket_t, short what, void* arg) {
  auto* self = static_cast<ClientConnection*>(arg);
  switch (self->state_) {
    case State::kHandshake:
      self->step_handshake();
      return;
    case State::kSession:
      if (what & EV_WRITE) {
        if (self->close_pending_) {
          net::FlushStatus status = self->flush();
          if (status == net::FlushStatus::kDone) self->begin_linger();
          if (status == net::FlushStatus::kError) self->close();
          return;
        }
        self->session_->on_writable();
        if (self->closed_) return;
      }
      if ((what & EV_READ) && !self->close_pending_) self->session_->on_readable();
      // A read that found nothing has OpenSSL allocate its read buffer: an idle connection gives
      // it back once it stays idle (SSL_free_buffers keeps buffers that still hold bytes).
      if (!self->closed_ && self->session_->idle()) self->went_idle();
      return;
    case State::kLingering:
      self->linger_read();
      return;
    case State::kClosed:
      return;
  }
}

void ClientConnection::on_timer(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<ClientConnection*>(arg);
  if (!self->timer_.fired()) return;
  switch (self->state_) {
    case State::kHandshake:
      log::Event(log::Level::kDebug, "tls_handshake_timeout")
          .field("client", self->peer_.to_string())
          .emit();
      self->close();
      return;
    case State::kSession:
      if (self->close_pending_) {
        self->close();  // the client does not read its last response
        return;
      }
      self->session_->on_timer();
      return;
    case State::kLingering:
    case State::kClosed:
      self->close();
      return;
  }
}

void ClientConnection::step_handshake() {
  net::IoResult result = transport_.handshake();
  switch (result.status) {
    case net::IoStatus::kOk:
      timer_.cancel();
      start_session();
      return;
    case net::IoStatus::kWantRead:
      io_.want_write(false);
      io_.want_read(true);
      return;
    case net::IoStatus::kWantWrite:
      io_.want_read(false);
      io_.want_write(true);
      return;
    default:
      esp::log_security(service_.esp, service_.name, peer_, "tls_handshake_failed",
                        transport_.error_text(), 0, nullptr);
      close();
      return;
  }
}

void ClientConnection::log_connection(const char* event) {
  if (!esp::connection_log_enabled(service_.esp)) return;
  esp::ConnectionRecord record;
  record.event = event;
  if (SSL* ssl = transport_.ssl()) {
    record.tls_version = SSL_get_version(ssl);
    record.cipher = SSL_get_cipher_name(ssl);
    const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    record.sni = sni ? sni : "";
    record.alpn = certs::negotiated_alpn(ssl);
  }
  record.duration_ms = worker_.now_ms() - opened_ms_;
  record.bytes_in = bytes_read_;
  record.bytes_out = output_.bytes_written();
  esp::log_connection(service_.esp, service_.name, peer_, record);
}

void ClientConnection::start_session() {
  state_ = State::kSession;
  log_connection("open");
  if (SSL* ssl = transport_.ssl(); ssl && certs::negotiated_alpn(ssl) == "h2") {
    session_ = std::make_unique<Http2ClientSession>(*this);
  } else {
    session_ = std::make_unique<Http1ClientSession>(*this);
  }
  io_.want_write(false);
  io_.want_read(true);
  // After a handshake OpenSSL may already hold the first request: no socket event will say so.
  session_->on_readable();
}

net::FlushStatus ClientConnection::flush() {
  net::FlushStatus status = output_.flush(transport_);
  io_.want_write(status == net::FlushStatus::kBlocked);
  if (status == net::FlushStatus::kDone) output_.release_if_empty();
  return status;
}

void ClientConnection::close_after_output() {
  if (closed_) return;
  close_pending_ = true;
  net::FlushStatus status = flush();
  if (status == net::FlushStatus::kDone) {
    begin_linger();
  } else if (status == net::FlushStatus::kError) {
    close();
  } else {
    // Bounded: a client that stops reading does not keep the connection for long.
    timer_.arm_ms(uint64_t{service_.config->limits.header_timeout_s} * 1000);
  }
}

void ClientConnection::begin_linger() {
  state_ = State::kLingering;
  if (session_) session_->abandon();
  transport_.shutdown_write();
  io_.want_write(false);
  io_.want_read(true);
  input_.reset();
  timer_.arm_ms(kLingerMs);
}

void ClientConnection::linger_read() {
  char discard[4096];
  for (int i = 0; i < 16; ++i) {
    net::IoResult result = transport_.read(discard, sizeof(discard));
    if (result.status == net::IoStatus::kOk) continue;
    if (result.status == net::IoStatus::kWantRead) return;
    close();
    return;
  }
}

void ClientConnection::close() {
  if (closed_) return;
  closed_ = true;
  // Only sessions that started (a failed handshake has its security record instead).
  if (state_ == State::kSession || state_ == State::kLingering) log_connection("close");
  state_ = State::kClosed;
  worker_.forget_idle(this);
  if (session_) session_->abandon();
  io_.clear();
  timer_.cancel();
  transport_.close();
  input_.reset();
  output_.reset();
  worker_.remove_connection(this);
  worker_.release_snapshot(snapshot_);
  worker_.defer_delete(this);
}

void ClientConnection::release_idle_memory() {
  if (state_ == State::kSession && !close_pending_ && session_) session_->release_idle_memory();
}

void ClientConnection::shutdown_gracefully() {
  if (state_ == State::kSession && session_) {
    session_->shutdown_gracefully();
  } else {
    close();
  }
}

}  // namespace espd::client

namespace espd::runtime {

void start_client_connection(Worker& worker, int fd, const net::SocketAddress& peer,
                             const VirtualService& service, SnapshotUse* snapshot,
                             Admission admission) {
  auto* connection = new client::ClientConnection(worker, fd, peer, service, snapshot);
  connection->admission = std::move(admission);
  connection->start();
}

}  // namespace espd::runtime
