// HTTP/1.1 on a client connection.
#include "proxy/client/http1_client_session.h"

#include "proxy/client/local_response.h"
#include "proxy/exchange/request_dispatcher.h"
#include "proxy/log/event.h"

namespace espd::client {
namespace {

// Pipelined requests handled in one turn of the loop before the connection yields to others.
constexpr uint32_t kRequestsPerTurn = 64;

http1::RequestLimits request_limits(const config::LimitsConfig& limits) {
  http1::RequestLimits result;
  result.max_head_bytes = limits.max_header_bytes;
  result.max_headers = limits.max_headers;
  result.max_target_bytes = limits.max_target_bytes;
  return result;
}

}  // namespace

Http1ClientSession::Http1ClientSession(ClientConnection& connection)
    : conn_(connection),
      limits_(connection.service().config->limits),
      parser_(request_limits(limits_)) {
  conn_.arm_timer_ms(uint64_t{conn_.service().config->idle_timeout_s} * 1000);
}

Http1ClientSession::~Http1ClientSession() {
  abandon();
}

void Http1ClientSession::abandon() {
  if (exchange_) {
    exchange_->abort();
    finish_exchange();
  }
}

bool Http1ClientSession::idle() const {
  return state_ == State::kIdle && conn_.input().empty() && conn_.output().empty();
}

void Http1ClientSession::release_idle_memory() {
  if (idle()) conn_.transport().release_buffers();  // which keeps buffers holding bytes
}

void Http1ClientSession::finish_exchange() {
  if (!exchange_) return;
  conn_.worker().defer_delete(exchange_);
  exchange_ = nullptr;
}

bool Http1ClientSession::output_backed_up() const {
  return conn_.output().queued() >= BufferPool::kBlockSize;
}

bool Http1ClientSession::wants_input() const {
  switch (state_) {
    case State::kIdle:
      return !output_backed_up() && requests_this_turn_ < kRequestsPerTurn;
    case State::kHead:
      return true;
    case State::kForwarding:
      // While the body is blocked on the real server, stop reading: that is the back-pressure.
      // Once the request is complete, keep reading (bounded by the buffer) to see the client
      // go away; pipelined requests wait in the buffer.
      return !request_pending_.active;
    case State::kClosing:
      return false;
  }
  return false;
}

// Room to read into: a head may grow the buffer up to the header limit (+1 so the parser sees
// the limit exceeded); anything else reads into one block.
bool Http1ClientSession::make_room() {
  IoBuffer& in = conn_.input();
  in.ensure(conn_.buffers());
  if (in.tail_room() > 0) return true;
  if (state_ == State::kIdle || state_ == State::kHead) {
    size_t limit = size_t{limits_.max_header_bytes} + 1;
    if (in.size() >= limit) return false;
    in.reserve_tail(conn_.buffers(), std::min<size_t>(BufferPool::kBlockSize, limit - in.size()));
    return true;
  }
  if (request_pending_.active) return false;  // the pending piece points into the buffer
  in.compact();
  return in.tail_room() > 0;
}

void Http1ClientSession::on_readable() {
  requests_this_turn_ = 0;
  // A pipelined request may already wait in the buffer (the read was scheduled for it).
  if (!conn_.input().empty()) process_input();
  bool drained = false;
  while (!conn_.closed()) {
    if (state_ == State::kIdle && requests_this_turn_ >= kRequestsPerTurn) {
      conn_.schedule_read();  // the rest of the pipeline on the next turn, after the others
      return;
    }
    if (!wants_input()) {
      conn_.want_read(false);
      return;
    }
    IoBuffer& in = conn_.input();
    if (drained) {
      // The last read emptied the socket: a read now would only say EAGAIN (one syscall and a
      // trip through OpenSSL per request); the level-triggered event calls again.
      conn_.want_read(true);
      in.release_if_empty();
      return;
    }
    if (!make_room()) {
      conn_.want_read(false);
      return;
    }
    std::span<char> space = in.writable();
    net::IoResult result = conn_.transport().read(space.data(), space.size());
    switch (result.status) {
      case net::IoStatus::kOk:
        in.commit(result.bytes);
        conn_.count_read(result.bytes);
        if (state_ == State::kForwarding && !request_done_) {
          body_pace_.count(result.bytes, conn_.now_ms());
        }
        process_input();
        drained = result.drained;
        continue;
      case net::IoStatus::kWantRead:
      case net::IoStatus::kWantWrite:
        conn_.want_read(true);
        in.release_if_empty();
        return;
      case net::IoStatus::kEof:
      case net::IoStatus::kError:
        log::Event(log::Level::kDebug, "client_gone")
            .field("client", conn_.peer().to_string())
            .field("while", state_ == State::kForwarding ? "forwarding" : "reading")
            .field("detail", result.status == net::IoStatus::kEof ? std::string("end of stream")
                                                                  : conn_.transport().error_text())
            .emit();
        on_client_gone();
        return;
    }
  }
}

void Http1ClientSession::finish_access_record(uint16_t status) {
  if (request_started_ms_ != 0) {
    duration_ms_ = conn_.now_ms() - request_started_ms_;
    conn_.service().state->record(status, duration_ms_);
    request_started_ms_ = 0;
  }
  if (!access_) return;
  std::unique_ptr<esp::AccessRecord> record = std::move(access_);
  if (exchange_) {  // the server may have changed (a retry) since the request started
    record->real_server = exchange_->server().label;
    record->persistence = exchange_->persistence_decision();
  }
  record->request = std::move(request_);
  record->status = status;
  record->duration_ms = duration_ms_;
  record->bytes_from_client = conn_.bytes_read() - request_bytes_in_start_ - conn_.input().size();
  record->bytes_to_client =
      conn_.bytes_written() + conn_.output().queued() - request_bytes_out_start_;
  esp::log_access(conn_.service().esp, conn_.service().name, conn_.peer(), *record);
}

void Http1ClientSession::on_client_gone() {
  // Mid-request or waiting for the answer: nobody will read it, so the real-server side stops too.
  if (access_ && state_ == State::kForwarding) finish_access_record(response_status_);
  abandon();
  conn_.close();
}

void Http1ClientSession::process_input() {
  IoBuffer& in = conn_.input();
  while (!conn_.closed()) {
    switch (state_) {
      case State::kIdle:
        if (in.empty() || output_backed_up() || requests_this_turn_ >= kRequestsPerTurn) return;
        state_ = State::kHead;
        conn_.arm_timer_ms(uint64_t{limits_.header_timeout_s} * 1000);
        [[fallthrough]];
      case State::kHead: {
        http1::RequestHead& head = conn_.worker().request_head_scratch();
        http1::ParseStatus status = parser_.parse(in.readable(), head);
        if (status == http1::ParseStatus::kIncomplete) return;
        if (status == http1::ParseStatus::kError) {
          http1::ParseError error = parser_.error();
          reject_request(http1::request_error_status(error), http1::error_reason(error),
                         std::string(reason_phrase(http1::request_error_status(error))) + ": " +
                             http1::error_reason(error) + "\n");
          return;
        }
        begin_request(head);
        continue;
      }
      case State::kForwarding:
        if (!request_done_) forward_request_body();
        return;
      case State::kClosing:
        return;
    }
  }
}

void Http1ClientSession::begin_request(const http1::RequestHead& head) {
  ++requests_this_turn_;
  size_t head_bytes = parser_.consumed();
  version_minor_ = head.version_minor;
  head_request_ = head.method == "HEAD";
  close_after_response_ = head.connection_close || conn_.worker().shutting_down();
  request_body_ = head.body.kind;
  request_remaining_ = head.body.content_length;
  request_body_bytes_ = 0;
  request_done_ = request_body_ == http1::BodyKind::kNone;
  response_started_ = false;
  response_blocked_ = false;
  request_chunked_.reset();
  conn_.cancel_timer();
  request_started_ms_ = conn_.now_ms();
  request_bytes_in_start_ = conn_.bytes_read() - (conn_.input().size() - head_bytes);
  request_bytes_out_start_ = conn_.bytes_written();
  response_status_ = 0;
  if (esp::access_log_enabled(conn_.service().esp)) {
    access_ = std::make_unique<esp::AccessRecord>();
  } else {
    access_.reset();
  }

  bool recorded = access_ || esp::security_log_enabled(conn_.service().esp);
  if (limits_.max_request_body_bytes != 0 && request_body_ == http1::BodyKind::kContentLength &&
      request_remaining_ > limits_.max_request_body_bytes) {
    if (recorded) {  // as received: the dispatcher never saw it
      request_.method.assign(head.method);
      request_.host.assign(head.host);
      request_.path.assign(head.path);
    }
    reject_request(413, "body_too_large", "Content Too Large\n");
    return;
  }

  // The dispatcher fills in what it saw (host and path normalised when they could be); its own
  // refusals log it, and so do the later ones of this request (body pace, chunked framing).
  exchange::Dispatch dispatch = exchange::dispatch_request(
      conn_.worker(), conn_.service(), *this, head,
      exchange::ClientFacts{conn_.peer(), conn_.tls()}, recorded ? &request_ : nullptr);
  conn_.input().consume(head_bytes);
  if (!dispatch.exchange) {
    // An unread request body cannot be skipped safely: close after answering. A 400 closes
    // too: a client that sends malformed requests gets no second try on the same connection.
    state_ = State::kForwarding;
    respond_locally(dispatch.status, dispatch.body, dispatch.extra_fields,
                    close_after_response_ || !request_done_ || dispatch.status == 400);
    return;
  }
  exchange_ = dispatch.exchange;
  if (access_) {
    access_->pool = exchange_->pool().name;
    access_->real_server = exchange_->server().label;
    access_->persistence = exchange_->persistence_decision();
  }
  state_ = State::kForwarding;
  if (request_done_) {
    exchange_->end_request_body();
  } else {
    body_pace_ =
        RequestBodyPace(uint64_t{limits_.body_timeout_s} * 1000, limits_.min_body_rate_bytes_s);
    body_pace_.restart(conn_.now_ms());
    arm_body_timer();
    forward_request_body();
  }
}

void Http1ClientSession::arm_body_timer() {
  uint64_t next = body_pace_.next_check_ms();
  uint64_t now = conn_.now_ms();
  conn_.arm_timer_ms(next > now ? next - now : 0);
}

void Http1ClientSession::check_body_pace() {
  // Once the response has started the client may stop sending (RFC 9110 15.5): the exchange's
  // idle timeout governs from then on.
  if (request_done_ || response_started_ || !exchange_) return;
  if (request_pending_.active) {
    // espd is not reading: the real server is not taking the body. Not the client's fault.
    body_pace_.restart(conn_.now_ms());
    arm_body_timer();
    return;
  }
  switch (body_pace_.check(conn_.now_ms())) {
    case RequestBodyPace::Verdict::kOk:
      arm_body_timer();
      return;
    case RequestBodyPace::Verdict::kStalled:
      reject_request(408, "body_timeout", "Request Timeout: the request body stalled\n");
      return;
    case RequestBodyPace::Verdict::kTooSlow:
      reject_request(408, "body_too_slow", "Request Timeout: the request body is too slow\n");
      return;
  }
}

void Http1ClientSession::forward_request_body() {
  IoBuffer& in = conn_.input();
  while (!request_done_ && exchange_) {
    if (request_pending_.active) {
      std::string_view piece = request_pending_.next_piece();
      exchange::Exchange* exchange = exchange_;
      if (!exchange->offer_request_body(piece)) return;     // on_request_body_drained() resumes
      if (exchange_ != exchange || conn_.closed()) return;  // it failed meanwhile
      if (request_pending_.take(piece.size())) in.consume(request_pending_.input_bytes);
      continue;
    }
    if (request_body_ == http1::BodyKind::kContentLength) {
      if (request_remaining_ == 0) break;
      if (in.empty()) return;
      size_t take = static_cast<size_t>(std::min<uint64_t>(request_remaining_, in.size()));
      request_pending_.set(in.readable().substr(0, take), take);
      request_remaining_ -= take;
      continue;
    }
    // Chunked: decoded and re-framed, so what the real server sees is canonical.
    if (in.empty()) return;
    size_t consumed = 0;
    std::string_view data;
    http1::Header trailer;
    switch (request_chunked_.decode(in.readable(), consumed, data, trailer)) {
      case http1::ChunkedDecoder::Status::kData:
        request_body_bytes_ += data.size();
        if (limits_.max_request_body_bytes != 0 &&
            request_body_bytes_ > limits_.max_request_body_bytes) {
          reject_request(413, "body_too_large", "Content Too Large\n");
          return;
        }
        request_pending_.set(data, consumed);
        break;
      case http1::ChunkedDecoder::Status::kTrailer:
        in.consume(consumed);  // request trailers are not forwarded
        break;
      case http1::ChunkedDecoder::Status::kNeedMore:
        in.consume(consumed);
        return;
      case http1::ChunkedDecoder::Status::kDone:
        in.consume(consumed);
        request_done_ = true;
        break;
      case http1::ChunkedDecoder::Status::kError:
        reject_request(
            400, http1::error_reason(request_chunked_.error()),
            std::string("Bad Request: ") + http1::error_reason(request_chunked_.error()) + "\n");
        return;
    }
  }
  if (!exchange_) return;
  request_done_ = true;
  exchange_->end_request_body();
}

void Http1ClientSession::on_request_body_drained() {
  if (state_ != State::kForwarding || request_done_ || conn_.closed()) return;
  bool was_blocked = request_pending_.active;
  forward_request_body();
  if (conn_.closed() || request_pending_.active) return;
  if (was_blocked && !request_done_) {
    body_pace_.restart(conn_.now_ms());  // reading resumes: the client's clock starts again
    arm_body_timer();
  }
  conn_.want_read(true);
  // Bytes may already wait in the buffer or inside OpenSSL: no socket event would announce them.
  if (!conn_.input().empty() || conn_.transport().has_pending()) conn_.schedule_read();
}

void Http1ClientSession::reject_request(uint16_t status, std::string_view reason,
                                        std::string_view body) {
  // Malformed requests, oversize heads and bodies, slow heads: all refusals of the client's bytes.
  std::string_view kind = status == 408   ? "request_timeout"
                          : status == 413 ? "body_too_large"
                                          : "bad_request";
  esp::log_security(conn_.service().esp, conn_.service().name, conn_.peer(), kind, reason, status,
                    known_request());
  if (exchange_) {
    exchange_->abort();
    finish_exchange();
  }
  if (response_started_) {
    conn_.close();
    return;
  }
  respond_locally(status, body, {}, true);
}

void Http1ClientSession::respond_locally(uint16_t status, std::string_view body,
                                         std::string_view extra_fields, bool close) {
  if (version_minor_ == 0) close = true;
  write_local_response(conn_.buffers(), conn_.output().buffer(), status, body, close, head_request_,
                       extra_fields);
  response_started_ = true;
  finish_access_record(status);
  if (close) {
    state_ = State::kClosing;
    conn_.close_after_output();
    return;
  }
  if (conn_.flush() == net::FlushStatus::kError) {
    conn_.close();
    return;
  }
  next_request();
}

void Http1ClientSession::next_request() {
  state_ = State::kIdle;
  request_.method.clear();  // a parse error of the next request must not name this one
  request_.host.clear();
  request_.path.clear();
  parser_.reset();
  request_pending_ = {};
  response_started_ = false;
  conn_.arm_timer_ms(uint64_t{conn_.service().config->idle_timeout_s} * 1000);
  IoBuffer& in = conn_.input();
  if (!in.empty() || conn_.transport().has_pending()) {
    conn_.schedule_read();  // a pipelined request: handled from the top of the loop
  } else {
    in.release_if_empty();
    if (conn_.output().empty()) conn_.went_idle();
  }
  conn_.want_read(true);
}

void Http1ClientSession::on_interim_response(const http1::ResponseHead& head) {
  // 100 Continue and friends mean nothing to an HTTP/1.0 client.
  if (version_minor_ == 0) return;
  if (!request_done_) {
    body_pace_.restart(conn_.now_ms());  // a client that waited for 100 Continue sends now
    arm_body_timer();
  }
  exchange::write_forwarded_response(conn_.buffers(), conn_.output().buffer(), head,
                                     exchange::ClientFraming::kNone, false, {});
  conn_.schedule_flush();
}

void Http1ClientSession::on_response_head(const http1::ResponseHead& head) {
  response_started_ = true;
  response_status_ = head.status;
  framing_ = exchange::choose_client_framing(head, head_request_, version_minor_);
  // A response may start while the request body is still streaming (an echo, an early error):
  // whether the connection can be reused is decided when the response ends.
  if (framing_ == exchange::ClientFraming::kUntilClose || version_minor_ == 0 ||
      conn_.worker().shutting_down()) {
    close_after_response_ = true;
  }
  // The persistence cookie goes on every response to a request that lacked a valid one.
  exchange::write_forwarded_response(conn_.buffers(), conn_.output().buffer(), head, framing_,
                                     close_after_response_, exchange_->response_fields());
  // Flushed once the real server's current read is handled, so that a small body that came with
  // the head goes out in the same write.
  conn_.schedule_flush();
}

bool Http1ClientSession::on_response_body(std::string_view data) {
  bool taken = true;
  switch (framing_) {
    case exchange::ClientFraming::kContentLength:
    case exchange::ClientFraming::kUntilClose:
      taken = conn_.output().offer(conn_.buffers(), conn_.transport(), data);
      break;
    case exchange::ClientFraming::kChunked: {
      char header[20];
      size_t length = http1::write_chunk_header(header, data.size());
      taken = conn_.output().offer_framed(conn_.buffers(), conn_.transport(),
                                          std::string_view(header, length), data, "\r\n");
      break;
    }
    case exchange::ClientFraming::kNone:
      break;
  }
  if (!taken) {
    response_blocked_ = true;
    conn_.want_write(true);
    return false;
  }
  conn_.schedule_flush();
  return true;
}

void Http1ClientSession::on_response_end(std::string_view trailers) {
  if (framing_ == exchange::ClientFraming::kChunked) {
    IoBuffer& out = conn_.output().buffer();
    out.append(conn_.buffers(), "0\r\n");
    out.append(conn_.buffers(), trailers);
    out.append(conn_.buffers(), "\r\n");
  }
  finish_access_record(response_status_);
  finish_exchange();
  if (close_after_response_ || !request_done_) {
    state_ = State::kClosing;
    conn_.close_after_output();
    return;
  }
  if (conn_.flush() == net::FlushStatus::kError) {
    conn_.close();
    return;
  }
  next_request();
}

void Http1ClientSession::on_exchange_failed(uint16_t status, std::string_view, std::string_view) {
  finish_exchange();
  if (response_started_) {
    finish_access_record(response_status_);
    conn_.close();  // a response is half sent: only closing tells the client it is incomplete
    return;
  }
  respond_locally(status, gateway_error_body(status), {}, !request_done_ || close_after_response_);
}

void Http1ClientSession::on_writable() {
  net::FlushStatus status = conn_.flush();
  if (status == net::FlushStatus::kError) {
    log::Event(log::Level::kDebug, "client_gone")
        .field("client", conn_.peer().to_string())
        .field("while", "writing")
        .field("detail", conn_.transport().error_text())
        .emit();
    on_client_gone();
    return;
  }
  if (status == net::FlushStatus::kDone && response_blocked_ && exchange_) {
    response_blocked_ = false;
    exchange_->resume_response();
  }
  if (status == net::FlushStatus::kDone && state_ == State::kIdle) {
    // Answers were backed up: the pipelined requests that waited for them can go on.
    conn_.want_read(true);
    if (!conn_.input().empty() || conn_.transport().has_pending()) {
      conn_.schedule_read();
    } else {
      conn_.went_idle();  // the last response went out: idle now
    }
  }
}

void Http1ClientSession::on_timer() {
  switch (state_) {
    case State::kIdle:
      conn_.close();  // idle keep-alive connection: idle_timeout_s without a byte
      return;
    case State::kHead:
      reject_request(408, "header_timeout", "Request Timeout\n");
      return;
    case State::kForwarding:
      check_body_pace();
      return;
    case State::kClosing:
      return;
  }
}

void Http1ClientSession::shutdown_gracefully() {
  close_after_response_ = true;
  if (state_ == State::kIdle && conn_.input().empty()) conn_.close();
}

}  // namespace espd::client
