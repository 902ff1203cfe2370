// One connection to a real server.
#include "proxy/server/real_server_connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/x509.h>
#include <cerrno>
#include <cstring>

#include "proxy/server/connection_pool.h"

namespace espd::server {

const char* failure_reason(ServerFailure failure) {
  switch (failure) {
    case ServerFailure::kConnect:
      return "connect_failed";
    case ServerFailure::kTls:
      return "tls_failed";
    case ServerFailure::kWrite:
      return "write_failed";
    case ServerFailure::kClosedBeforeResponse:
      return "closed_before_response";
    case ServerFailure::kBadResponse:
      return "bad_response";
    case ServerFailure::kClosedMidResponse:
      return "closed_mid_response";
    case ServerFailure::kReadError:
      return "read_failed";
  }
  return "unknown";
}

RealServerConnection::RealServerConnection(runtime::Worker& worker,
                                           std::shared_ptr<certs::UpstreamTlsContext> tls,
                                           const net::SocketAddress& address,
                                           std::string verify_name, size_t max_response_head_bytes)
    : worker_(worker),
      tls_(std::move(tls)),
      address_(address),
      verify_name_(std::move(verify_name)),
      parser_(http1::ResponseLimits{max_response_head_bytes, 1000}),
      max_head_bytes_(max_response_head_bytes) {}

RealServerConnection::~RealServerConnection() {
  io_.clear();
  idle_timer_.cancel();
}

RealServerConnection* RealServerConnection::open(runtime::Worker& worker,
                                                 std::shared_ptr<certs::UpstreamTlsContext> tls,
                                                 const net::SocketAddress& address,
                                                 std::string verify_name,
                                                 size_t max_response_head_bytes) {
  auto* connection = new RealServerConnection(worker, std::move(tls), address,
                                              std::move(verify_name), max_response_head_bytes);
  int fd = ::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    connection->connect_errno_ = errno;
  } else {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (::connect(fd, address.sockaddr_ptr(), address.length) != 0 && errno != EINPROGRESS) {
      connection->connect_errno_ = errno;
    }
  }
  connection->transport_ = net::Transport(fd, nullptr);
  connection->idle_timer_.init(worker.base(), &RealServerConnection::on_idle_timeout, connection);
  connection->state_ = State::kConnecting;
  if (connection->connect_errno_ != 0) {
    // Failures are always reported from the event loop, never inside the caller's stack.
    connection->idle_timer_.arm_ms(0);
  } else {
    connection->io_.init(worker.base(), worker.ready_queue(), fd, &RealServerConnection::on_event,
                         connection);
    connection->io_.want_write(true);
  }
  return connection;
}

void RealServerConnection::attach(Owner* owner, bool request_is_head) {
  owner_ = owner;
  request_is_head_ = request_is_head;
  request_complete_ = false;
  any_response_byte_ = false;
  paused_ = false;
  phase_ = Phase::kHead;
  parser_.reset();
  chunked_.reset();
  trailers_.clear();
  pending_ = {};
  pending_action_ = PendingAction::kNone;
  eof_seen_ = false;
  ++requests_;
  if (state_ == State::kActive) io_.want_read(true);
}

bool RealServerConnection::queue(std::string_view bytes) {
  out_.append(worker_.buffers(), bytes);
  return true;
}

bool RealServerConnection::offer_body(std::string_view bytes) {
  if (state_ != State::kActive) {
    if (out_.queued() + bytes.size() > BufferPool::kBlockSize) return false;
    out_.append(worker_.buffers(), bytes);
    return true;
  }
  bool taken = out_.offer(worker_.buffers(), transport_, bytes);
  update_write_interest();
  return taken;
}

bool RealServerConnection::offer_framed(std::string_view prefix, std::string_view data,
                                        std::string_view suffix) {
  if (state_ != State::kActive) {
    if (out_.queued() + prefix.size() + data.size() + suffix.size() > BufferPool::kBlockSize) {
      return false;
    }
    out_.append(worker_.buffers(), prefix);
    out_.append(worker_.buffers(), data);
    out_.append(worker_.buffers(), suffix);
    return true;
  }
  bool taken = out_.offer_framed(worker_.buffers(), transport_, prefix, data, suffix);
  update_write_interest();
  return taken;
}

void RealServerConnection::flush() {
  if (state_ != State::kActive) return;
  net::FlushStatus status = out_.flush(transport_);
  if (status == net::FlushStatus::kError) {
    if (any_response_byte_) {
      // The server answered and stopped reading (e.g. 413): keep relaying its response.
      must_close_ = true;
      out_.reset();
      io_.want_write(false);
      return;
    }
    fail(ServerFailure::kWrite, transport_.error_text());
    return;
  }
  update_write_interest();
}

void RealServerConnection::update_write_interest() {
  io_.want_write(!out_.empty());
  if (out_.empty()) out_.release_if_empty();
}

void RealServerConnection::resume_response() {
  if (!paused_) return;
  paused_ = false;
  in_callback_ = true;
  deliver();
  if (!paused_ && state_ == State::kActive && phase_ != Phase::kDone) {
    io_.want_read(true);
    // Bytes decrypted and held by OpenSSL raise no socket event: read them now.
    if (transport_.has_pending() || !in_.empty()) read_response();
  }
  in_callback_ = false;
  run_deferred();
}

bool RealServerConnection::reusable() const {
  return state_ == State::kActive && phase_ == Phase::kDone && request_complete_ && !must_close_ &&
         out_.empty() && in_.empty() && !transport_.has_pending();
}

void RealServerConnection::release(size_t max_idle, uint64_t idle_timeout_ms) {
  owner_ = nullptr;
  release_max_idle_ = max_idle;
  release_idle_timeout_ms_ = idle_timeout_ms;
  if (in_callback_) {
    if (pending_action_ != PendingAction::kClose) pending_action_ = PendingAction::kRelease;
    return;
  }
  do_release();
}

void RealServerConnection::close() {
  owner_ = nullptr;
  if (in_callback_) {
    pending_action_ = PendingAction::kClose;
    return;
  }
  do_close();
}

void RealServerConnection::run_deferred() {
  PendingAction action = pending_action_;
  pending_action_ = PendingAction::kNone;
  if (action == PendingAction::kRelease) do_release();
  if (action == PendingAction::kClose) do_close();
}

void RealServerConnection::do_release() {
  if (!reusable() || release_max_idle_ == 0 || worker_.shutting_down()) {
    do_close();
    return;
  }
  worker_.server_connections().put(this, release_max_idle_, release_idle_timeout_ms_);
}

void RealServerConnection::do_close() {
  if (state_ == State::kClosed) return;
  if (state_ == State::kIdle) worker_.server_connections().remove(this);
  state_ = State::kClosed;
  worker_.forget_idle(this);
  owner_ = nullptr;
  io_.clear();
  idle_timer_.cancel();
  transport_.keep_session_resumable();  // closed by choice, not for an error (see fail())
  transport_.close();
  in_.reset();
  out_.reset();
  worker_.defer_delete(this);
}

void RealServerConnection::enter_pool(uint64_t idle_timeout_ms) {
  state_ = State::kIdle;
  in_.reset();
  out_.reset();
  head_.headers = {};
  trailers_ = {};
  // Idle: readability means the server closed (or misbehaves); either way it goes.
  io_.want_write(false);
  io_.want_read(true);
  worker_.went_idle(this);
  idle_timer_.arm_ms(idle_timeout_ms);
}

void RealServerConnection::release_idle_memory() {
  if (state_ == State::kIdle) transport_.release_buffers();
}

void RealServerConnection::leave_pool() {
  state_ = State::kActive;
  idle_timer_.cancel();
}

void RealServerConnection::on_idle_timeout(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<RealServerConnection*>(arg);
  if (!self->idle_timer_.fired()) return;
  if (self->state_ == State::kConnecting) {  // a connect that failed at once
    on_event(-1, EV_WRITE, arg);
    return;
  }
  self->do_close();
}

void RealServerConnection::on_event(evutil_socket_t, short what, void* arg) {
  auto* self = static_cast<RealServerConnection*>(arg);
  self->in_callback_ = true;
  self->handle(what);
  self->in_callback_ = false;
  self->run_deferred();
}

void RealServerConnection::handle(short what) {
  switch (state_) {
    case State::kConnecting:
      finish_connect();
      return;
    case State::kHandshaking:
      step_handshake();
      return;
    case State::kIdle:
      pending_action_ = PendingAction::kClose;
      return;
    case State::kClosed:
      return;
    case State::kActive:
      break;
  }
  if (what & EV_WRITE) {
    flush();
    if (state_ != State::kActive) return;
    if (out_.empty() && owner_) owner_->on_server_writable();
    if (state_ != State::kActive || !owner_) return;
  }
  if ((what & EV_READ) && !paused_) read_response();
}

void RealServerConnection::finish_connect() {
  int error = connect_errno_;
  if (error == 0) {
    socklen_t length = sizeof(error);
    if (getsockopt(transport_.fd(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) error = errno;
  }
  if (error != 0) {
    fail(ServerFailure::kConnect,
         std::string("connect ") + address_.to_string() + ": " + std::strerror(error));
    return;
  }
  if (!tls_) {
    state_ = State::kActive;
    io_.want_write(false);
    io_.want_read(true);
    flush();
    if (state_ == State::kActive && owner_) owner_->on_server_connected();
    return;
  }
  session_slot_ = certs::UpstreamSessionSlot{
      &worker_.upstream_sessions(), certs::UpstreamSessionKey{tls_->id(), address_, verify_name_}};
  SSL* ssl = tls_->new_ssl(transport_.fd(), verify_name_, &session_slot_);
  if (!ssl) {
    fail(ServerFailure::kTls, "cannot create a TLS session: " + net::drain_openssl_errors());
    return;
  }
  transport_.attach_ssl(ssl);
  state_ = State::kHandshaking;
  step_handshake();
}

void RealServerConnection::step_handshake() {
  net::IoResult result = transport_.handshake();
  switch (result.status) {
    case net::IoStatus::kOk:
      state_ = State::kActive;
      io_.want_read(true);
      io_.want_write(false);
      flush();
      if (state_ == State::kActive && owner_) owner_->on_server_connected();
      return;
    case net::IoStatus::kWantRead:
      io_.want_write(false);
      io_.want_read(true);
      return;
    case net::IoStatus::kWantWrite:
      io_.want_read(false);
      io_.want_write(true);
      return;
    default: {
      // Whatever session was offered is not offered again after a failed handshake.
      session_slot_.cache->forget(session_slot_.key);
      std::string detail = transport_.error_text();
      long verify = SSL_get_verify_result(transport_.ssl());
      if (verify != X509_V_OK) {
        detail = std::string("certificate verification failed: ") +
                 X509_verify_cert_error_string(verify) + " (expected name " + verify_name_ + ")";
      }
      fail(ServerFailure::kTls, "TLS to " + address_.to_string() + ": " + detail);
      return;
    }
  }
}

bool RealServerConnection::tls_resumed() const {
  SSL* ssl = transport_.ssl();
  return ssl && SSL_session_reused(ssl);
}

void RealServerConnection::read_response() {
  while (state_ == State::kActive && !paused_) {
    in_.ensure(worker_.buffers());
    if (in_.tail_room() == 0) {
      if (phase_ == Phase::kHead) {
        if (in_.size() >= max_head_bytes_) {
          fail(ServerFailure::kBadResponse,
               "response head larger than " + std::to_string(max_head_bytes_) + " bytes");
          return;
        }
        in_.reserve_tail(worker_.buffers(), BufferPool::kBlockSize);
      } else {
        in_.compact();
        if (in_.tail_room() == 0) return;  // a whole unconsumed chunk line: deliver() failed it
      }
    }
    std::span<char> space = in_.writable();
    net::IoResult result = transport_.read(space.data(), space.size());
    switch (result.status) {
      case net::IoStatus::kOk:
        in_.commit(result.bytes);
        any_response_byte_ = true;
        if (phase_ == Phase::kDone) {
          must_close_ = true;  // bytes after the response: never reuse this connection
          in_.consume(in_.size());
        } else {
          deliver();
        }
        // The socket is empty: a read now would only say EAGAIN; the level-triggered event
        // calls again when bytes arrive.
        if (result.drained) {
          if (state_ == State::kActive && !paused_ && in_.empty()) in_.release_if_empty();
          return;
        }
        continue;
      case net::IoStatus::kWantRead:
        if (in_.empty()) in_.release_if_empty();
        return;
      case net::IoStatus::kWantWrite:
        io_.want_write(true);
        return;
      case net::IoStatus::kEof:
        on_eof();
        return;
      case net::IoStatus::kError:
        if (phase_ == Phase::kDone) {
          must_close_ = true;
          io_.want_read(false);
          return;
        }
        fail(any_response_byte_ ? ServerFailure::kReadError : ServerFailure::kClosedBeforeResponse,
             transport_.error_text());
        return;
    }
  }
}

void RealServerConnection::deliver() {
  while (owner_ && !paused_ && state_ == State::kActive) {
    if (pending_.active) {
      std::string_view piece = pending_.next_piece();
      if (!owner_->on_response_body(piece)) {
        paused_ = true;
        io_.want_read(false);
        return;
      }
      if (pending_.take(piece.size())) in_.consume(pending_.input_bytes);
      continue;
    }
    if (phase_ == Phase::kHead) {
      http1::ParseStatus status = parser_.parse(in_.readable(), request_is_head_, head_);
      if (status == http1::ParseStatus::kIncomplete) return;
      if (status == http1::ParseStatus::kError) {
        fail(ServerFailure::kBadResponse,
             std::string("invalid response: ") + http1::error_reason(parser_.error()));
        return;
      }
      size_t consumed = parser_.consumed();
      if (head_.status < 200) {
        if (head_.status == 101) {
          fail(ServerFailure::kBadResponse, "unexpected 101 Switching Protocols");
          return;
        }
        owner_->on_interim_response(head_);
        in_.consume(consumed);
        parser_.reset();
        continue;
      }
      if (head_.connection_close || (head_.version_minor == 0 && !head_.connection_keep_alive)) {
        must_close_ = true;
      }
      body_kind_ = head_.body.kind;
      remaining_ = head_.body.content_length;
      owner_->on_response_head(head_);
      in_.consume(consumed);
      phase_ = Phase::kBody;
      if (body_kind_ == http1::BodyKind::kNone ||
          (body_kind_ == http1::BodyKind::kContentLength && remaining_ == 0)) {
        finish_response();
        return;
      }
      continue;
    }
    if (phase_ != Phase::kBody) return;
    switch (body_kind_) {
      case http1::BodyKind::kContentLength: {
        if (remaining_ == 0) {
          finish_response();
          return;
        }
        if (in_.empty()) return;
        size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, in_.size()));
        pending_.set(in_.readable().substr(0, take), take);
        remaining_ -= take;
        break;
      }
      case http1::BodyKind::kUntilClose:
        if (in_.empty()) {
          if (eof_seen_) finish_response();
          return;
        }
        pending_.set(in_.readable(), in_.size());
        break;
      case http1::BodyKind::kChunked: {
        if (in_.empty()) return;
        size_t consumed = 0;
        std::string_view data;
        http1::Header trailer;
        auto status = chunked_.decode(in_.readable(), consumed, data, trailer);
        switch (status) {
          case http1::ChunkedDecoder::Status::kData:
            pending_.set(data, consumed);
            break;
          case http1::ChunkedDecoder::Status::kTrailer:
            trailers_.append(trailer.name).append(": ").append(trailer.value).append("\r\n");
            in_.consume(consumed);
            break;
          case http1::ChunkedDecoder::Status::kNeedMore:
            in_.consume(consumed);
            return;
          case http1::ChunkedDecoder::Status::kDone:
            in_.consume(consumed);
            finish_response();
            return;
          case http1::ChunkedDecoder::Status::kError:
            fail(ServerFailure::kBadResponse,
                 std::string("invalid chunked body: ") + http1::error_reason(chunked_.error()));
            return;
        }
        break;
      }
      case http1::BodyKind::kNone:
        finish_response();
        return;
    }
  }
}

void RealServerConnection::finish_response() {
  phase_ = Phase::kDone;
  if (!in_.empty()) must_close_ = true;  // the server sent more than one response
  Owner* owner = owner_;
  if (owner) owner->on_response_end(trailers_);
}

void RealServerConnection::on_eof() {
  eof_seen_ = true;
  if (phase_ == Phase::kBody && body_kind_ == http1::BodyKind::kUntilClose) {
    must_close_ = true;
    io_.want_read(false);
    // The end comes after the bytes still pending (resume_response() delivers them).
    if (!pending_.active) finish_response();
    return;
  }
  if (phase_ == Phase::kDone) {
    must_close_ = true;
    io_.want_read(false);
    return;
  }
  if (phase_ == Phase::kHead && !any_response_byte_) {
    fail(ServerFailure::kClosedBeforeResponse, "the real server closed the connection");
    return;
  }
  fail(phase_ == Phase::kHead ? ServerFailure::kBadResponse : ServerFailure::kClosedMidResponse,
       "the real server closed the connection mid-response");
}

void RealServerConnection::fail(ServerFailure failure, std::string detail) {
  Owner* owner = owner_;
  owner_ = nullptr;
  must_close_ = true;
  io_.clear();
  if (state_ != State::kClosed && state_ != State::kIdle) {
    state_ = State::kClosed;
    transport_.close();
    worker_.defer_delete(this);
  }
  if (owner) owner->on_server_failure(failure, detail);
}

}  // namespace espd::server
