// One HTTP/2 stream of a client connection.
#include "proxy/client/http2_stream.h"

#include "proxy/client/http2_client_session.h"
#include "proxy/client/local_response.h"
#include "proxy/exchange/pending_body.h"
#include "proxy/exchange/request_dispatcher.h"

namespace espd::client {
namespace {

ssize_t read_response_callback(nghttp2_session*, int32_t, uint8_t* buffer, size_t length,
                               uint32_t* data_flags, nghttp2_data_source* source, void*) {
  return static_cast<Http2Stream*>(source->ptr)->read_response(buffer, length, data_flags);
}

}  // namespace

Http2Stream::Http2Stream(Http2ClientSession& session, int32_t id, uint64_t now_ms)
    : session_(session),
      id_(id),
      block_(std::make_unique<http2::RequestHeaderBlock>(http2::RequestBlockLimits{
          session.limits().h2_max_header_list_bytes, session.limits().max_headers,
          session.limits().max_target_bytes})),
      opened_ms_(now_ms) {
  request_.http2 = true;
}

Http2Stream::~Http2Stream() {
  if (exchange_) {
    exchange_->abort();
    finish_exchange();
  }
}

// --- the request ---

void Http2Stream::on_request_head(bool end_stream) {
  request_state_ = end_stream ? RequestState::kComplete : RequestState::kBody;
  head_ended_stream_ = end_stream;
  // Dispatched once the input read so far is processed: a stream the client resets in the same
  // read (rapid reset) never costs a real-server connection.
  session_.queue_dispatch(this);
}

void Http2Stream::dispatch_request() {
  ClientConnection& conn = session_.connection();
  dispatched_ = true;
  request_started_ms_ = conn.now_ms();
  if (esp::access_log_enabled(conn.service().esp)) access_ = std::make_unique<esp::AccessRecord>();
  http1::RequestHead& head = conn.worker().request_head_scratch();
  // Whether a body follows is the HEADERS frame's END_STREAM, not whether the body has already
  // ended: DATA carried in the same read as HEADERS has arrived by now.
  http2::BlockError error = block_->build(head_ended_stream_, head);
  if (error != http2::BlockError::kNone) {
    note_received_request();  // the dispatcher will not see it
    session_.note_malformed_stream();
    refuse(http2::block_error_status(error), http2::block_error_reason(error));
  } else {
    dispatch(head);
  }
  block_.reset();  // the forwarded head was written: nothing refers to the block any more
  uint64_t max_body = session_.limits().max_request_body_bytes;
  if (exchange_ && max_body != 0 && request_bytes_ > max_body) refuse(413, "body_too_large");
  if (exchange_) {
    const config::LimitsConfig& limits = session_.limits();
    body_pace_ =
        RequestBodyPace(uint64_t{limits.body_timeout_s} * 1000, limits.min_body_rate_bytes_s);
    body_pace_.restart(conn.now_ms());
    forward_request_body();  // what arrived before the dispatch
  } else if (!request_body_.empty()) {
    session_.remove_buffered(request_body_.size());
    consume_request(request_body_.size());
    request_body_.reset();
  }
}

void Http2Stream::dispatch(http1::RequestHead& head) {
  ClientConnection& conn = session_.connection();
  head_request_ = head.method == "HEAD";
  uint64_t max_body = session_.limits().max_request_body_bytes;
  if (max_body != 0 && head.body.kind == http1::BodyKind::kContentLength &&
      head.body.content_length > max_body) {
    request_.method.assign(head.method);  // as received: the dispatcher never saw it
    request_.host.assign(head.host);
    request_.path.assign(head.path);
    refuse(413, "body_too_large");
    return;
  }
  // What the dispatcher saw, for the records: its refusals log it themselves, and so do the
  // refusals and resets of this stream that come later (body pace, flow control, nghttp2).
  bool recorded = access_ || esp::security_log_enabled(conn.service().esp);
  exchange::Dispatch dispatch = exchange::dispatch_request(
      conn.worker(), conn.service(), *this, head,
      exchange::ClientFacts{conn.peer(), conn.tls(), true}, recorded ? &request_ : nullptr);
  if (!dispatch.exchange) {
    respond_locally(dispatch.status, dispatch.body, dispatch.extra_fields);
    return;
  }
  exchange_ = dispatch.exchange;
  if (access_) {
    access_->pool = exchange_->pool().name;
    access_->real_server = exchange_->server().label;
    access_->persistence = exchange_->persistence_decision();
  }
  // The body, and its end, go on in dispatch_request(): body that arrived with the HEADERS is
  // held in request_body_ and must reach the real server before the end of the body does.
}

void Http2Stream::on_request_data(std::string_view data) {
  request_bytes_ += data.size();
  uint64_t max_body = session_.limits().max_request_body_bytes;
  if (max_body != 0 && request_bytes_ > max_body && exchange_) {
    refuse(413, "body_too_large");
  }
  if (!dispatched_) {  // held until the dispatch, within the stream's window
    request_body_.append(session_.connection().buffers(), data);
    session_.add_buffered(data.size());
    return;
  }
  body_pace_.count(data.size(), session_.connection().now_ms());
  if (!exchange_ || request_end_sent_) {
    // Nobody takes this body (a local answer): drop it, and keep the window open.
    consume_request(data.size());
    return;
  }
  while (request_body_.empty() && !data.empty()) {
    std::string_view piece = data.substr(0, exchange::kMaxBodyPiece);
    exchange::Exchange* exchange = exchange_;
    if (!exchange->offer_request_body(piece)) break;
    consume_request(piece.size());
    data.remove_prefix(piece.size());
    if (exchange_ != exchange) {  // it failed meanwhile: the rest is not wanted
      consume_request(data.size());
      return;
    }
  }
  if (!data.empty()) {
    // Held until the real server takes it; the stream's window (not yet opened again) bounds it.
    request_body_.append(session_.connection().buffers(), data);
    session_.add_buffered(data.size());
  }
}

void Http2Stream::on_request_end() {
  request_state_ = RequestState::kComplete;
  if (exchange_ && request_body_.empty()) end_request_body();
}

void Http2Stream::on_request_body_drained() {
  forward_request_body();
}

void Http2Stream::forward_request_body() {
  while (exchange_ && !request_body_.empty()) {
    std::string_view piece = request_body_.front().substr(0, exchange::kMaxBodyPiece);
    exchange::Exchange* exchange = exchange_;
    if (!exchange->offer_request_body(piece)) return;
    if (exchange_ != exchange) return;  // failed meanwhile (the buffer was dropped)
    request_body_.consume(piece.size());
    session_.remove_buffered(piece.size());
    consume_request(piece.size());
  }
  if (exchange_ && request_state_ == RequestState::kComplete) end_request_body();
}

bool Http2Stream::body_timed() const {
  // Once the response has started the client may stop sending (RFC 9110 15.5): the idle
  // timeout governs from then on.
  return exchange_ && request_state_ == RequestState::kBody && !response_started_;
}

bool Http2Stream::client_blocked() const {
  if (!request_body_.empty()) return true;  // espd holds body: the real server is not taking it
  nghttp2_session* session = session_.nghttp2();
  return nghttp2_session_get_stream_local_window_size(session, id_) <= 0 ||
         nghttp2_session_get_local_window_size(session) <= 0;
}

uint64_t Http2Stream::body_check_ms() const {
  return body_timed() ? body_pace_.next_check_ms() : UINT64_MAX;
}

void Http2Stream::check_body_pace(uint64_t now_ms) {
  if (!body_timed()) return;
  if (client_blocked()) {
    body_pace_.restart(now_ms);  // the clock starts over when the client may send again
    return;
  }
  switch (body_pace_.check(now_ms)) {
    case RequestBodyPace::Verdict::kOk:
      return;
    case RequestBodyPace::Verdict::kStalled:
      refuse(408, "body_timeout");
      return;
    case RequestBodyPace::Verdict::kTooSlow:
      refuse(408, "body_too_slow");
      return;
  }
}

void Http2Stream::end_request_body() {
  if (request_end_sent_) return;
  request_end_sent_ = true;
  exchange_->end_request_body();
}

void Http2Stream::consume_request(size_t n) {
  if (n == 0) return;
  nghttp2_session_consume(session_.nghttp2(), id_, n);
  session_.want_send();  // a WINDOW_UPDATE may be due
}

// --- the response ---

void Http2Stream::refuse(uint16_t status, std::string_view reason) {
  std::string_view kind = status == 408   ? "request_timeout"
                          : status == 413 ? "body_too_large"
                                          : "bad_request";
  session_.log_security(kind, reason, status, known_request());
  if (exchange_) {
    exchange_->abort();
    finish_exchange();
  }
  if (response_started_) {
    reset(NGHTTP2_CANCEL, {}, {});
    return;
  }
  std::string body = std::string(reason_phrase(status)) + ": " + std::string(reason) + "\n";
  respond_locally(status, body, {});
}

void Http2Stream::respond_locally(uint16_t status, std::string_view body,
                                  std::string_view extra_fields) {
  status_ = status;
  Http2ClientSession::header_list().build_local(status, body.size(), extra_fields);
  bool with_body = !head_request_ && !body.empty();
  if (with_body) {
    response_body_.append(session_.connection().buffers(), body);
    session_.add_buffered(body.size());
    last_progress_ms_ = session_.connection().now_ms();
  }
  response_ended_ = true;
  submit_response(with_body);
}

void Http2Stream::submit_response(bool body) {
  response_started_ = true;
  nghttp2_data_provider provider;
  provider.source.ptr = this;
  provider.read_callback = read_response_callback;
  const http2::ResponseHeaderList& list = Http2ClientSession::header_list();
  nghttp2_submit_response(session_.nghttp2(), id_, list.data(), list.size(),
                          body ? &provider : nullptr);
  session_.want_send();
}

void Http2Stream::on_interim_response(const http1::ResponseHead& head) {
  http2::ResponseHeaderList& list = Http2ClientSession::header_list();
  list.build_forwarded(head, {});
  nghttp2_submit_headers(session_.nghttp2(), NGHTTP2_FLAG_NONE, id_, nullptr, list.data(),
                         list.size(), nullptr);
  session_.want_send();
}

void Http2Stream::on_response_head(const http1::ResponseHead& head) {
  status_ = head.status;
  bool body = !head_request_ && head.status != 204 && head.status != 304 &&
              head.body.kind != http1::BodyKind::kNone &&
              !(head.body.kind == http1::BodyKind::kContentLength && head.body.content_length == 0);
  // The persistence cookie goes on every response to a request that lacked a valid one.
  Http2ClientSession::header_list().build_forwarded(head, exchange_->response_fields());
  if (!body) response_ended_ = true;
  submit_response(body);
}

bool Http2Stream::on_response_body(std::string_view data) {
  size_t stream_limit = session_.limits().h2_stream_buffer_bytes;
  size_t connection_limit = session_.limits().h2_connection_buffer_bytes;
  // A stream holding nothing always takes a piece, so no stream waits on the others' bytes.
  if (!response_body_.empty() && (response_body_.size() + data.size() > stream_limit ||
                                  session_.buffered() + data.size() > connection_limit)) {
    response_blocked_ = true;
    return false;
  }
  if (response_body_.empty()) last_progress_ms_ = session_.connection().now_ms();
  response_body_.append(session_.connection().buffers(), data);
  session_.add_buffered(data.size());
  if (data_deferred_) {
    data_deferred_ = false;
    nghttp2_session_resume_data(session_.nghttp2(), id_);
  }
  session_.want_send();
  return true;
}

void Http2Stream::on_response_end(std::string_view trailers) {
  response_ended_ = true;
  trailers_.assign(trailers);
  finish_exchange();
  if (data_deferred_) {
    data_deferred_ = false;
    nghttp2_session_resume_data(session_.nghttp2(), id_);
  }
  session_.want_send();
}

void Http2Stream::on_exchange_failed(uint16_t status, std::string_view, std::string_view) {
  finish_exchange();
  if (response_started_) {
    // Part of the response went out: only a reset tells the client it is incomplete.
    mark_reset();
    nghttp2_submit_rst_stream(session_.nghttp2(), NGHTTP2_FLAG_NONE, id_, NGHTTP2_INTERNAL_ERROR);
    session_.want_send();
    return;
  }
  respond_locally(status, gateway_error_body(status), {});
}

ssize_t Http2Stream::read_response(uint8_t* out, size_t length, uint32_t* data_flags) {
  size_t n = response_body_.read(reinterpret_cast<char*>(out), length);
  if (n > 0) {
    session_.remove_buffered(n);
    session_.note_data_sent(n);
    response_bytes_ += n;
    last_progress_ms_ = session_.connection().now_ms();
    if (response_blocked_ && exchange_ &&
        response_body_.size() + exchange::kMaxBodyPiece <=
            session_.limits().h2_stream_buffer_bytes) {
      response_blocked_ = false;
      session_.queue_resume(this);
    }
  }
  if (response_body_.empty() && response_ended_) {
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    if (!trailers_.empty()) {
      http2::ResponseHeaderList& list = Http2ClientSession::header_list();
      list.build_trailers(trailers_);
      if (!list.empty() &&
          nghttp2_submit_trailer(session_.nghttp2(), id_, list.data(), list.size()) == 0) {
        *data_flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
      }
      std::string().swap(trailers_);
    }
    return static_cast<ssize_t>(n);
  }
  if (n == 0) {
    data_deferred_ = true;
    return NGHTTP2_ERR_DEFERRED;
  }
  return static_cast<ssize_t>(n);
}

void Http2Stream::resume_exchange() {
  if (exchange_) exchange_->resume_response();
}

// --- the records ---

void Http2Stream::note_received_request() {
  if (!block_) return;
  request_.method.assign(block_->method());
  request_.host.assign(block_->host());
  std::string_view path = block_->path();
  request_.path.assign(path.substr(0, path.find('?')));  // without the query, as HTTP/1.1 logs it
}

const esp::RequestFacts* Http2Stream::known_request() {
  if (!dispatched_) note_received_request();  // refused while the block was being decoded
  bool known = !request_.method.empty() || !request_.host.empty() || !request_.path.empty();
  return known ? &request_ : nullptr;
}

// --- the end ---

void Http2Stream::reset(uint32_t error_code, std::string_view reason, std::string_view detail) {
  if (!reason.empty()) session_.log_security(reason, detail, 0, known_request());
  mark_reset();
  nghttp2_submit_rst_stream(session_.nghttp2(), NGHTTP2_FLAG_NONE, id_, error_code);
  session_.want_send();
}

void Http2Stream::on_close(uint32_t) {
  closed_ = true;
  if (exchange_) {
    // Reset by the client (or the connection ended) before the response did: the real-server
    // connection is closed, never pooled in the middle of a response.
    exchange_->abort();
    finish_exchange();
  }
  if (!request_body_.empty()) {
    nghttp2_session_consume_connection(session_.nghttp2(), request_body_.size());
    session_.remove_buffered(request_body_.size());
    request_body_.reset();
  }
  session_.remove_buffered(response_body_.size());
  response_body_.reset();
  finish_access_record();
}

void Http2Stream::finish_exchange() {
  if (!exchange_) return;
  if (access_) {  // the server may have changed (a retry) since the request started
    access_->real_server = exchange_->server().label;
    access_->persistence = exchange_->persistence_decision();
  }
  session_.connection().worker().defer_delete(exchange_);
  exchange_ = nullptr;
}

void Http2Stream::finish_access_record() {
  if (request_started_ms_ == 0) return;
  ClientConnection& conn = session_.connection();
  uint64_t duration_ms = conn.now_ms() - request_started_ms_;
  conn.service().state->record(status_, duration_ms);
  request_started_ms_ = 0;
  if (!access_) return;
  access_->request = std::move(request_);
  access_->status = status_;
  access_->duration_ms = duration_ms;
  access_->bytes_from_client = request_bytes_;
  access_->bytes_to_client = response_bytes_;
  esp::log_access(conn.service().esp, conn.service().name, conn.peer(), *access_);
  access_.reset();
}

}  // namespace espd::client
