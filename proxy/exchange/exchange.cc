// One request forwarded to one real server and its response relayed back.
#include "proxy/exchange/exchange.h"

#include "proxy/base/block_recycler.h"
#include "proxy/http1/chunked_decoder.h"
#include "proxy/log/event.h"
#include "proxy/scheduling/scheduler.h"
#include "proxy/server/connection_pool.h"

namespace espd::exchange {
namespace {

// Exchanges in flight at once on a worker rarely exceed this; more are simply freed.
constexpr size_t kRecycledExchanges = 256;

BlockRecycler& recycled_exchanges() {
  thread_local BlockRecycler recycler(sizeof(Exchange), kRecycledExchanges);
  return recycler;
}

}  // namespace

void* Exchange::operator new(size_t size) {
  return recycled_exchanges().take(size);
}

void Exchange::operator delete(void* block, size_t size) {
  recycled_exchanges().give(block, size);
}

Exchange::Exchange(runtime::Worker& worker, ExchangeClient& client,
                   const runtime::VirtualService& service, const runtime::Pool& pool,
                   persistence::ServerChoice choice, const net::SocketAddress& client_address,
                   ExchangeRequest request)
    : worker_(worker),
      client_(client),
      service_(service),
      pool_(pool),
      server_(choice.server),
      choice_(std::move(choice)),
      client_address_(client_address),
      request_(request) {
  count_start();
  timer_.init(worker.base(), &Exchange::on_timer, this);
}

void Exchange::count_start() {
  server_->state->active.fetch_add(1, std::memory_order_relaxed);
  server_->state->requests.fetch_add(1, std::memory_order_relaxed);
  counted_ = true;
}

Exchange::~Exchange() {
  timer_.cancel();
  if (connection_) connection_->close();
  finish();
}

void Exchange::start(std::string_view head) {
  started_ms_ = last_activity_ms_ = worker_.now_ms();
  head_.append(worker_.buffers(), head);
  attach_connection();
  arm_timer();
}

void Exchange::attach_connection() {
  connection_ = worker_.server_connections().take(pool_.tls.get(), server_->address);
  reused_connection_ = connection_ != nullptr;
  if (connection_) {
    state_ = State::kForwarding;
  } else {
    state_ = State::kConnecting;
    connection_ = server::RealServerConnection::open(worker_, pool_.tls, server_->address,
                                                     server_->verify_name,
                                                     service_.config->limits.max_header_bytes);
    worker_.server_connections().count_opened();
  }
  connection_->attach(this, request_.is_head);
  connection_->queue(head_.readable());
  bytes_to_server_ = head_.size();
  connection_->flush();
}

void Exchange::arm_timer() {
  uint64_t timeout_ms = state_ == State::kConnecting
                            ? uint64_t{service_.config->limits.connect_timeout_s} * 1000
                            : uint64_t{service_.config->idle_timeout_s} * 1000;
  uint64_t since = state_ == State::kConnecting ? started_ms_ : last_activity_ms_;
  uint64_t now = worker_.now_ms();
  uint64_t deadline = since + timeout_ms;
  timer_.arm_ms(deadline > now ? deadline - now : 0);
}

void Exchange::on_timer(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<Exchange*>(arg);
  if (!self->timer_.fired()) return;
  if (self->state_ == State::kFinished) return;
  bool connecting = self->state_ == State::kConnecting;
  uint64_t timeout_ms = connecting
                            ? uint64_t{self->service_.config->limits.connect_timeout_s} * 1000
                            : uint64_t{self->service_.config->idle_timeout_s} * 1000;
  uint64_t since = connecting ? self->started_ms_ : self->last_activity_ms_;
  if (self->worker_.now_ms() < since + timeout_ms) {
    self->arm_timer();  // there was activity since: the deadline moved
    return;
  }
  if (connecting) {
    self->note_connect_failure();
    if (self->connection_) {
      self->connection_->close();
      self->connection_ = nullptr;
    }
    if (self->retry_on_another_server()) return;
    self->fail(504, "connect_timeout",
               "no connection to " + self->server_->label + " within " +
                   std::to_string(self->service_.config->limits.connect_timeout_s) + " s");
  } else {
    self->fail(504, "real_server_timeout",
               "no byte from or to " + self->server_->label + " for " +
                   std::to_string(self->service_.config->idle_timeout_s) + " s");
  }
}

bool Exchange::offer_request_body(std::string_view data) {
  if (state_ == State::kFinished) return true;  // the response already ended: drop the rest
  touch();
  request_body_started_ = true;
  bool taken;
  if (request_.body == http1::BodyKind::kChunked) {
    char header[20];
    size_t length = http1::write_chunk_header(header, data.size());
    taken = connection_->offer_framed(std::string_view(header, length), data, "\r\n");
    if (taken) connection_->flush();
  } else {
    taken = connection_->offer_body(data);
  }
  if (taken) bytes_to_server_ += data.size();
  return taken;
}

void Exchange::end_request_body() {
  if (state_ == State::kFinished || !connection_) return;
  if (request_.body == http1::BodyKind::kChunked) {
    connection_->queue("0\r\n\r\n");
    bytes_to_server_ += 5;
  }
  request_done_ = true;
  connection_->request_complete();
  connection_->flush();
}

void Exchange::resume_response() {
  if (connection_ && state_ != State::kFinished) {
    touch();
    connection_->resume_response();
  }
}

void Exchange::abort() {
  if (state_ == State::kFinished) return;
  state_ = State::kFinished;
  timer_.cancel();
  if (connection_) {
    connection_->close();
    connection_ = nullptr;
  }
  finish();
}

void Exchange::finish() {
  if (!counted_) return;
  counted_ = false;
  server_->state->active.fetch_sub(1, std::memory_order_relaxed);
  server_->state->bytes_to_server.fetch_add(bytes_to_server_, std::memory_order_relaxed);
  server_->state->bytes_from_server.fetch_add(bytes_from_server_, std::memory_order_relaxed);
}

void Exchange::on_server_connected() {
  touch();
  if (pool_.tls) {
    auto& handshakes = connection_->tls_resumed() ? server_->state->tls_resumed_handshakes
                                                  : server_->state->tls_full_handshakes;
    handshakes.fetch_add(1, std::memory_order_relaxed);
  }
  state_ = State::kForwarding;
  arm_timer();
  client_.on_request_body_drained();
}

void Exchange::on_server_writable() {
  touch();
  client_.on_request_body_drained();
}

void Exchange::on_interim_response(const http1::ResponseHead& head) {
  touch();
  client_.on_interim_response(head);
}

void Exchange::on_response_head(const http1::ResponseHead& head) {
  touch();
  response_started_ = true;
  head_.reset();
  client_.on_response_head(head);
}

bool Exchange::on_response_body(std::string_view data) {
  touch();
  if (!client_.on_response_body(data)) return false;
  bytes_from_server_ += data.size();
  return true;
}

void Exchange::on_response_end(std::string_view trailers) {
  state_ = State::kFinished;
  timer_.cancel();
  if (connection_) {
    // A response that ended before its request (e.g. an early 413) leaves the connection
    // mid-request: reusable() says no and it is closed.
    if (!request_done_)
      connection_->close();
    else
      connection_->release(pool_.config->max_idle_connections_per_server,
                           uint64_t{service_.config->idle_timeout_s} * 1000);
    connection_ = nullptr;
  }
  finish();
  client_.on_response_end(trailers);
}

void Exchange::on_server_failure(server::ServerFailure failure, const std::string& detail) {
  connection_ = nullptr;  // it closed itself
  bool never_connected = failure == server::ServerFailure::kConnect ||
                         (failure == server::ServerFailure::kTls && !reused_connection_);
  if (failure == server::ServerFailure::kConnect) note_connect_failure();
  // Nothing reached that server: another one can take the request, once.
  if (never_connected && retry_on_another_server()) return;
  // A pooled connection the server had already closed: the request may have been sent, so it is
  // repeated (on a new connection to the same server) only when that is safe: an idempotent
  // method, no body, nothing of the response seen.
  bool stale_pooled =
      reused_connection_ && (failure == server::ServerFailure::kClosedBeforeResponse ||
                             failure == server::ServerFailure::kWrite);
  if (stale_pooled && !retried_ && !response_started_ && !request_body_started_ &&
      request_.body == http1::BodyKind::kNone && request_.idempotent && head_.allocated()) {
    retried_ = true;
    attach_connection();
    if (request_done_) connection_->request_complete();
    arm_timer();
    return;
  }
  server_->state->failures.fetch_add(1, std::memory_order_relaxed);
  fail(502, server::failure_reason(failure), detail);
}

bool Exchange::retry_on_another_server() {
  if (retried_ || response_started_ || request_body_started_ || !head_.allocated()) return false;
  const runtime::RealServer* other = scheduling::pick(pool_, worker_.now_ms(), server_);
  if (!other) return false;
  retried_ = true;
  log::Event(log::Level::kInfo, "request_retried")
      .field("virtual_service", service_.name)
      .field("pool", pool_.name)
      .field("from", server_->label)
      .field("to", other->label)
      .emit();
  finish();  // counters of the first server
  server_ = other;
  count_start();
  persistence::rebind(pool_, choice_, *other, client_address_, worker_.now_ms());
  started_ms_ = worker_.now_ms();
  attach_connection();
  if (request_done_) connection_->request_complete();
  arm_timer();
  return true;
}

void Exchange::note_connect_failure() {
  if (pool_.config->health_check.enabled) return;  // the health checker decides
  // Passive check: without probes, a refused connection takes the server out for a short while.
  uint64_t until = worker_.now_ms() + kPassiveBackoffMs;
  uint64_t before = server_->state->failing_until_ms.exchange(until, std::memory_order_relaxed);
  if (before <= worker_.now_ms()) {
    log::Event(log::Level::kWarning, "real_server_failing")
        .field("virtual_service", service_.name)
        .field("pool", pool_.name)
        .field("real_server", server_->label)
        .field("backoff_ms", kPassiveBackoffMs)
        .emit();
  }
}

void Exchange::fail(uint16_t status, std::string_view reason, const std::string& detail) {
  if (state_ == State::kFinished) return;
  state_ = State::kFinished;
  timer_.cancel();
  if (connection_) {
    connection_->close();
    connection_ = nullptr;
  }
  finish();
  log::Event(log::Level::kWarning, "real_server_error")
      .field("virtual_service", service_.name)
      .field("pool", pool_.name)
      .field("real_server", server_->label)
      .field("reason", reason)
      .field("detail", detail)
      .emit();
  client_.on_exchange_failed(status, reason, detail);
}

}  // namespace espd::exchange
