// HTTP/2 on a client connection.
#include "proxy/client/http2_client_session.h"

#include <string>

#include "proxy/client/http2_callbacks.h"
#include "proxy/log/event.h"

namespace espd::client {
namespace {

// Frames are produced into the output while less than this is queued: about one TLS record, so
// responses go out as they come and a client that does not read stops the production.
constexpr size_t kProduceLimit = 16384;
// Reads handled per readiness event before other connections get their turn.
constexpr int kMaxReadsPerEvent = 8;
// A client opens flow-control window for the DATA it received: one WINDOW_UPDATE per this many
// bytes sent is never counted as a flood (per DATA frame, stream and connection, is common).
constexpr size_t kDataBytesPerWindowUpdate = 4096;
// A decoded header list this many times over h2_max_header_list_bytes is a decompression bomb,
// not a large request: the connection ends instead of the stream.
constexpr size_t kBombFactor = 4;

const char* frame_type_name(uint8_t type) {
  switch (type) {
    case NGHTTP2_DATA:
      return "DATA";
    case NGHTTP2_HEADERS:
      return "HEADERS";
    case NGHTTP2_PRIORITY:
      return "PRIORITY";
    case NGHTTP2_RST_STREAM:
      return "RST_STREAM";
    case NGHTTP2_SETTINGS:
      return "SETTINGS";
    case NGHTTP2_PUSH_PROMISE:
      return "PUSH_PROMISE";
    case NGHTTP2_PING:
      return "PING";
    case NGHTTP2_GOAWAY:
      return "GOAWAY";
    case NGHTTP2_WINDOW_UPDATE:
      return "WINDOW_UPDATE";
    case NGHTTP2_CONTINUATION:
      return "CONTINUATION";
    default:
      return "extension";
  }
}

}  // namespace

Http2ClientSession::Http2ClientSession(ClientConnection& connection)
    : conn_(connection),
      limits_(connection.service().config->limits),
      resets_(limits_.h2_reset_burst, limits_.h2_reset_rate_per_s),
      settings_(limits_.h2_control_frame_burst, limits_.h2_control_frame_rate_per_s),
      pings_(limits_.h2_control_frame_burst, limits_.h2_control_frame_rate_per_s),
      window_updates_(limits_.h2_control_frame_burst, limits_.h2_control_frame_rate_per_s),
      priorities_(limits_.h2_control_frame_burst, limits_.h2_control_frame_rate_per_s),
      empty_frames_(limits_.h2_control_frame_burst, limits_.h2_control_frame_rate_per_s),
      malformed_streams_(limits_.h2_control_frame_burst, limits_.h2_control_frame_rate_per_s),
      opened_ms_(connection.now_ms()),
      last_activity_ms_(opened_ms_) {
  nghttp2_option* option = nullptr;
  if (nghttp2_option_new(&option) != 0) return;
  // Request bodies: the window opens only as the real server takes the bytes (back-pressure).
  nghttp2_option_set_no_auto_window_update(option, 1);
  nghttp2_option_set_no_closed_streams(option, 1);
  // Response fields are sent without HPACK indexing (as nginx does): the encoder keeps no table,
  // so an idle connection holds none, and the few bytes more per response do not matter.
  nghttp2_option_set_max_deflate_dynamic_table_size(option, 0);
  // nghttp2's own rapid-reset guard stays as a backstop behind espd's (which logs).
  nghttp2_option_set_stream_reset_rate_limit(option, uint64_t{limits_.h2_reset_burst} * 4,
                                             uint64_t{limits_.h2_reset_rate_per_s} * 4);
  // Queued SETTINGS and PING acknowledgements: above espd's flood limit, so that it acts first.
  nghttp2_option_set_max_outbound_ack(option, limits_.h2_control_frame_burst + 1000);
  int rv = nghttp2_session_server_new3(&session_, http2_server_callbacks(), this, option,
                                       memory_.allocator());
  nghttp2_option_del(option);
  if (rv != 0) {
    session_ = nullptr;
    return;
  }
  nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, limits_.h2_max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, limits_.h2_stream_buffer_bytes},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, limits_.h2_max_header_list_bytes},
      {NGHTTP2_SETTINGS_NO_RFC7540_PRIORITIES, 1},
  };
  nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  // The connection window bounds the request body bytes held for all streams together.
  nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                        static_cast<int32_t>(limits_.h2_connection_buffer_bytes));
  arm_timer();
}

Http2ClientSession::~Http2ClientSession() {
  end_session();
}

http2::ResponseHeaderList& Http2ClientSession::header_list() {
  thread_local http2::ResponseHeaderList list;
  return list;
}

Http2Stream* Http2ClientSession::stream(int32_t id) {
  return static_cast<Http2Stream*>(nghttp2_session_get_stream_user_data(session_, id));
}

void Http2ClientSession::want_send() {
  if (!pumping_) conn_.schedule_flush();
}

void Http2ClientSession::note_data_sent(size_t n) {
  data_sent_uncredited_ += n;
  if (data_sent_uncredited_ >= kDataBytesPerWindowUpdate) {
    window_updates_.credit(
        static_cast<uint32_t>(data_sent_uncredited_ / kDataBytesPerWindowUpdate));
    data_sent_uncredited_ %= kDataBytesPerWindowUpdate;
  }
}

void Http2ClientSession::log_security(std::string_view reason, std::string_view detail,
                                      uint16_t status, const esp::RequestFacts* facts) {
  const runtime::VirtualService& service = conn_.service();
  esp::log_security(service.esp, service.name, conn_.peer(), reason, detail, status, facts);
}

// --- input ---

void Http2ClientSession::on_readable() {
  if (!session_) {
    conn_.close();
    return;
  }
  IoBuffer& in = conn_.input();
  for (int reads = 0;; ++reads) {
    if (finishing_) return;
    if (output_blocked_since_ms_ != 0) {  // the client does not read: neither do we
      reading_paused_ = true;
      conn_.want_read(false);
      break;
    }
    if (reads == kMaxReadsPerEvent) {
      conn_.schedule_read();
      break;
    }
    in.ensure(conn_.buffers());
    std::span<char> space = in.writable();
    net::IoResult result = conn_.transport().read(space.data(), space.size());
    if (result.status == net::IoStatus::kWantRead || result.status == net::IoStatus::kWantWrite) {
      conn_.want_read(true);
      break;
    }
    if (result.status != net::IoStatus::kOk) {
      log::Event(log::Level::kDebug, "client_gone")
          .field("client", conn_.peer().to_string())
          .field("protocol", "h2")
          .field("open_streams", open_streams_)
          .emit();
      end_session();
      conn_.close();
      return;
    }
    conn_.count_read(result.bytes);
    last_activity_ms_ = conn_.now_ms();
    // The TLS read buffer is back, and nghttp2 reads its stream map for frames that open or
    // close nothing (SETTINGS ACK, WINDOW_UPDATE): an idle connection releases them once more.
    idle_released_ = false;
    ssize_t rv = nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(space.data()),
                                          result.bytes);
    if (rv < 0) {
      if (!terminated_) {
        std::string detail = rv == NGHTTP2_ERR_BAD_CLIENT_MAGIC
                                 ? "not an HTTP/2 connection preface"
                                 : nghttp2_strerror(static_cast<int>(rv));
        if (!library_detail_.empty()) detail = std::move(library_detail_);
        library_detail_.clear();
        log_security(rv == NGHTTP2_ERR_BAD_CLIENT_MAGIC ? "bad_request" : "h2_protocol_error",
                     detail, 0, nullptr);
      }
      if (rv == NGHTTP2_ERR_BAD_CLIENT_MAGIC) {
        end_session();
        conn_.close();
        return;
      }
      // nghttp2 queued a GOAWAY for protocol errors; send what is queued, then close.
      terminated_ = true;
      in.reset();
      pump();
      finish();
      return;
    }
    log_library_detail();  // a message no verdict picked up
    dispatch_queued();
    pump();  // answers go out as requests come in, and the output stays small
    if (!session_ || conn_.closed()) return;
    if (result.drained && !finishing_ && output_blocked_since_ms_ == 0) {
      conn_.want_read(true);  // level-triggered: the next bytes raise the event again
      break;
    }
  }
  in.reset();  // nghttp2 keeps what it needs: an idle connection holds no input block
  pump();
}

int Http2ClientSession::refuse_connection(uint32_t error_code, std::string_view reason,
                                          std::string_view detail,
                                          const esp::RequestFacts* request) {
  if (!terminated_) {
    terminated_ = true;
    log_security(reason, detail, 0, request);
    nghttp2_session_terminate_session(session_, error_code);
  }
  return NGHTTP2_ERR_CALLBACK_FAILURE;
}

int Http2ClientSession::count(http2::RateLimit& limit, std::string_view what) {
  if (limit.allow(conn_.now_ms())) return 0;
  return refuse_connection(NGHTTP2_ENHANCE_YOUR_CALM, "h2_flood", what);
}

void Http2ClientSession::note_malformed_stream() {
  if (!malformed_streams_.allow(conn_.now_ms())) {
    refuse_connection(NGHTTP2_ENHANCE_YOUR_CALM, "h2_flood", "malformed streams");
  }
}

int Http2ClientSession::on_begin_frame(const nghttp2_frame_hd& header) {
  // After a flood was seen nothing more of the input is processed.
  if (terminated_) return NGHTTP2_ERR_CALLBACK_FAILURE;
  bool empty = header.length == 0 &&
               ((header.type == NGHTTP2_DATA && !(header.flags & NGHTTP2_FLAG_END_STREAM)) ||
                header.type == NGHTTP2_HEADERS || header.type == NGHTTP2_CONTINUATION);
  if (empty) return count(empty_frames_, "empty frames");
  // Counted here: with RFC 7540 priorities off, nghttp2 drops PRIORITY frames without a callback.
  if (header.type == NGHTTP2_PRIORITY) return count(priorities_, "PRIORITY frames");
  if (header.type > NGHTTP2_CONTINUATION) return count(empty_frames_, "extension frames");
  return 0;
}

int Http2ClientSession::on_begin_headers(const nghttp2_frame& frame) {
  if (frame.headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  auto* stream = new Http2Stream(*this, frame.hd.stream_id, conn_.now_ms());
  nghttp2_session_set_stream_user_data(session_, frame.hd.stream_id, stream);
  stream->next = streams_;
  if (streams_) streams_->prev = stream;
  streams_ = stream;
  ++open_streams_;
  return 0;
}

int Http2ClientSession::on_header(const nghttp2_frame& frame, std::string_view name,
                                  std::string_view value) {
  Http2Stream* s = stream(frame.hd.stream_id);
  if (!s) return 0;
  http2::RequestHeaderBlock* block = s->header_block();
  if (!block) return 0;  // request trailers: not forwarded (as over HTTP/1.1)
  block->add(name, value);
  if (block->decoded_bytes() > kBombFactor * limits_.h2_max_header_list_bytes) {
    return refuse_connection(NGHTTP2_ENHANCE_YOUR_CALM, "h2_hpack_bomb",
                             "decoded header list over " +
                                 std::to_string(kBombFactor * limits_.h2_max_header_list_bytes) +
                                 " bytes",
                             s->known_request());
  }
  return 0;
}

int Http2ClientSession::on_invalid_header(const nghttp2_frame& frame, std::string_view name,
                                          std::string_view) {
  Http2Stream* s = stream(frame.hd.stream_id);
  log_security("bad_request", "invalid header field \"" + std::string(name.substr(0, 64)) + "\"", 0,
               s ? s->known_request() : nullptr);
  if (s) s->mark_reset();
  nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, frame.hd.stream_id,
                            NGHTTP2_PROTOCOL_ERROR);
  note_malformed_stream();
  return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
}

int Http2ClientSession::on_frame_recv(const nghttp2_frame& frame) {
  switch (frame.hd.type) {
    case NGHTTP2_HEADERS: {
      Http2Stream* s = stream(frame.hd.stream_id);
      if (!s) return 0;
      bool end_stream = frame.hd.flags & NGHTTP2_FLAG_END_STREAM;
      if (frame.headers.cat == NGHTTP2_HCAT_REQUEST) {
        s->on_request_head(end_stream);
      } else if (end_stream) {
        s->on_request_end();
      }
      return 0;
    }
    case NGHTTP2_DATA:
      if (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) {
        if (Http2Stream* s = stream(frame.hd.stream_id)) s->on_request_end();
      }
      return 0;
    case NGHTTP2_RST_STREAM:
      return count(resets_, "streams reset by the client (rapid reset)");
    case NGHTTP2_SETTINGS:
      if (frame.hd.flags & NGHTTP2_FLAG_ACK) return 0;
      preface_received_ = true;
      return count(settings_, "SETTINGS frames");
    case NGHTTP2_PING:
      if (frame.hd.flags & NGHTTP2_FLAG_ACK) return 0;
      return count(pings_, "PING frames");
    case NGHTTP2_WINDOW_UPDATE:
      return count(window_updates_, "WINDOW_UPDATE frames");
    default:
      return 0;
  }
}

int Http2ClientSession::on_data_chunk(int32_t stream_id, std::string_view data) {
  if (Http2Stream* s = stream(stream_id)) {
    s->on_request_data(data);
  } else {
    nghttp2_session_consume_connection(session_, data.size());
  }
  return 0;
}

int Http2ClientSession::on_stream_close(int32_t stream_id, uint32_t error_code) {
  Http2Stream* s = stream(stream_id);
  if (!s) return 0;
  nghttp2_session_set_stream_user_data(session_, stream_id, nullptr);
  s->on_close(error_code);
  unlink(s);
  conn_.worker().defer_delete(s);
  last_activity_ms_ = conn_.now_ms();
  return 0;
}

void Http2ClientSession::unlink(Http2Stream* stream) {
  if (stream->prev) stream->prev->next = stream->next;
  if (stream->next) stream->next->prev = stream->prev;
  if (streams_ == stream) streams_ = stream->next;
  stream->prev = stream->next = nullptr;
  --open_streams_;
}

int Http2ClientSession::on_frame_send(const nghttp2_frame& frame) {
  if (frame.hd.type == NGHTTP2_RST_STREAM && frame.rst_stream.error_code != NGHTTP2_NO_ERROR) {
    // Resets espd decided on are logged where they were decided; the others are nghttp2's
    // verdict on a malformed stream (a content-length that DATA contradicts, for one).
    Http2Stream* s = stream(frame.hd.stream_id);
    if (s && !s->reset_by_espd()) {
      s->mark_reset();
      std::string detail = library_detail_.empty()
                               ? "stream " + std::to_string(frame.hd.stream_id) + " reset: " +
                                     nghttp2_http2_strerror(frame.rst_stream.error_code)
                               : std::move(library_detail_);
      library_detail_.clear();
      log_security("h2_protocol_error", detail, 0, s->known_request());
      note_malformed_stream();
    }
    return 0;
  }
  bool end_stream = (frame.hd.type == NGHTTP2_DATA || frame.hd.type == NGHTTP2_HEADERS) &&
                    (frame.hd.flags & NGHTTP2_FLAG_END_STREAM);
  if (end_stream) {
    // The response is complete before the request (a refusal, an early answer): the rest of
    // the request is not wanted (RFC 9113 8.1).
    Http2Stream* s = stream(frame.hd.stream_id);
    if (s && !s->request_complete()) {
      nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, frame.hd.stream_id, NGHTTP2_NO_ERROR);
    }
  }
  return 0;
}

int Http2ClientSession::on_invalid_frame(const nghttp2_frame& frame, int library_error) {
  // One record per violation: nghttp2's own message, when it gave one, says the most.
  std::string detail = library_detail_.empty()
                           ? std::string(frame_type_name(frame.hd.type)) + " frame on stream " +
                                 std::to_string(frame.hd.stream_id) + ": " +
                                 nghttp2_strerror(library_error)
                           : std::move(library_detail_);
  library_detail_.clear();
  Http2Stream* s = frame.hd.stream_id ? stream(frame.hd.stream_id) : nullptr;
  if (s) s->mark_reset();
  log_security("h2_protocol_error", detail, 0, s ? s->known_request() : nullptr);
  note_malformed_stream();
  return 0;
}

void Http2ClientSession::on_library_error(std::string_view message) {
  // Logged with the verdict that follows it (an invalid frame, a reset or a connection error).
  library_detail_.assign(message.substr(0, 512));
}

void Http2ClientSession::dispatch_queued() {
  for (size_t i = 0; i < dispatch_.size() && session_ && !terminated_; ++i) {
    if (!dispatch_[i]->closed()) dispatch_[i]->dispatch_request();
  }
  dispatch_.clear();
}

void Http2ClientSession::log_library_detail() {
  if (library_detail_.empty()) return;
  log_security("h2_protocol_error", library_detail_, 0, nullptr);
  library_detail_.clear();
}

// --- output ---

void Http2ClientSession::pump() {
  if (pumping_ || !session_ || finishing_) return;
  pumping_ = true;
  net::OutputChannel& out = conn_.output();
  for (;;) {
    while (out.queued() < kProduceLimit) {
      const uint8_t* data = nullptr;
      ssize_t n = nghttp2_session_mem_send(session_, &data);
      if (n < 0) {
        log::Event(log::Level::kWarning, "h2_session_error")
            .field("virtual_service", conn_.service().name)
            .field("client", conn_.peer().to_string())
            .field("detail", nghttp2_strerror(static_cast<int>(n)))
            .emit();
        pumping_ = false;
        end_session();
        conn_.close();
        return;
      }
      if (n == 0) break;
      idle_released_ = false;  // nghttp2's frame buffer is in use again
      out.append(conn_.buffers(),
                 std::string_view(reinterpret_cast<const char*>(data), static_cast<size_t>(n)));
    }
    if (!resume_.empty()) {
      // Streams that made room: their exchanges deliver more, which may produce more frames.
      for (size_t i = 0; i < resume_.size(); ++i) {
        if (!resume_[i]->closed()) resume_[i]->resume_exchange();
      }
      resume_.clear();
      continue;
    }
    net::FlushStatus status = conn_.flush();
    if (status == net::FlushStatus::kError) {
      pumping_ = false;
      log::Event(log::Level::kDebug, "client_gone")
          .field("client", conn_.peer().to_string())
          .field("protocol", "h2")
          .field("while", "writing")
          .emit();
      end_session();
      conn_.close();
      return;
    }
    if (status == net::FlushStatus::kBlocked) {
      if (output_blocked_since_ms_ == 0) output_blocked_since_ms_ = conn_.now_ms();
      break;
    }
    output_blocked_since_ms_ = 0;
    if (!nghttp2_session_want_write(session_)) break;
  }
  pumping_ = false;
  if (reading_paused_ && output_blocked_since_ms_ == 0) {
    reading_paused_ = false;
    conn_.want_read(true);
    conn_.schedule_read();
  }
  if (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_)) {
    finish();  // GOAWAY sent and no stream left, or the session was terminated
    return;
  }
  if (open_streams_ == 0 && out.empty() && !idle_released_) conn_.went_idle();
  arm_timer();
}

void Http2ClientSession::release_idle_memory() {
  if (!session_ || finishing_ || open_streams_ != 0 || !conn_.output().empty() ||
      nghttp2_session_want_write(session_)) {
    return;
  }
  if (!idle_released_) {
    idle_released_ = true;
    memory_.release_idle_pages();
    std::vector<Http2Stream*>().swap(resume_);
    std::vector<Http2Stream*>().swap(dispatch_);
  }
  conn_.transport().release_buffers();
}

void Http2ClientSession::on_writable() {
  pump();
}

void Http2ClientSession::finish() {
  if (finishing_) return;
  finishing_ = true;
  conn_.close_after_output();
}

// --- timers ---

void Http2ClientSession::arm_timer() {
  uint64_t deadline = UINT64_MAX;
  uint64_t header_ms = uint64_t{limits_.header_timeout_s} * 1000;
  uint64_t stall_ms = uint64_t{limits_.h2_stall_timeout_s} * 1000;
  if (!preface_received_) deadline = opened_ms_ + header_ms;
  if (output_blocked_since_ms_) deadline = std::min(deadline, output_blocked_since_ms_ + stall_ms);
  for (Http2Stream* s = streams_; s; s = s->next) {
    if (s->header_block()) deadline = std::min(deadline, s->opened_ms() + header_ms);
    if (uint64_t since = s->stalled_since_ms()) deadline = std::min(deadline, since + stall_ms);
    deadline = std::min(deadline, s->body_check_ms());
  }
  if (open_streams_ == 0) {
    uint64_t idle_ms = uint64_t{conn_.service().config->idle_timeout_s} * 1000;
    deadline = std::min(deadline, last_activity_ms_ + idle_ms);
  }
  if (deadline == timer_deadline_ms_) return;
  timer_deadline_ms_ = deadline;
  if (deadline == UINT64_MAX) {
    conn_.cancel_timer();
    return;
  }
  uint64_t now = conn_.now_ms();
  conn_.arm_timer_ms(deadline > now ? deadline - now : 0);
}

void Http2ClientSession::on_timer() {
  timer_deadline_ms_ = UINT64_MAX;  // fired: nothing is armed any more
  if (!session_) return;
  uint64_t now = conn_.now_ms();
  uint64_t header_ms = uint64_t{limits_.header_timeout_s} * 1000;
  uint64_t stall_ms = uint64_t{limits_.h2_stall_timeout_s} * 1000;
  if (!preface_received_ && now >= opened_ms_ + header_ms) {
    log_security("request_timeout", "no HTTP/2 connection preface within header_timeout_s", 408,
                 nullptr);
    end_session();
    conn_.close();
    return;
  }
  if (output_blocked_since_ms_ && now >= output_blocked_since_ms_ + stall_ms) {
    log_security("h2_flow_control_stall", "the client read nothing for h2_stall_timeout_s", 0,
                 nullptr);
    end_session();
    conn_.close();
    return;
  }
  for (Http2Stream* s = streams_; s;) {
    Http2Stream* next = s->next;
    if (s->header_block() && now >= s->opened_ms() + header_ms) {
      // A header block spread over frames holds the whole connection (nothing may interleave).
      refuse_connection(NGHTTP2_PROTOCOL_ERROR, "request_timeout",
                        "HTTP/2 header block not completed within header_timeout_s",
                        s->known_request());
      break;
    }
    uint64_t since = s->stalled_since_ms();
    if (since && now >= since + stall_ms) {
      s->reset(NGHTTP2_CANCEL, "h2_flow_control_stall",
               "no flow-control window for h2_stall_timeout_s");
    } else if (now >= s->body_check_ms()) {
      s->check_body_pace(now);
    }
    s = next;
  }
  uint64_t idle_ms = uint64_t{conn_.service().config->idle_timeout_s} * 1000;
  if (open_streams_ == 0 && now >= last_activity_ms_ + idle_ms) go_away();
  pump();
}

// --- ending ---

void Http2ClientSession::go_away() {
  if (going_away_) return;
  going_away_ = true;
  // Streams up to the last one processed finish; the client retries later ones elsewhere.
  nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                        nullptr, 0);
}

void Http2ClientSession::shutdown_gracefully() {
  if (!session_ || finishing_) return;
  go_away();
  pump();
}

void Http2ClientSession::abandon() {
  end_session();
}

void Http2ClientSession::end_session() {
  if (!session_) return;
  while (Http2Stream* s = streams_) {
    nghttp2_session_set_stream_user_data(session_, s->id(), nullptr);
    s->on_close(NGHTTP2_CANCEL);
    unlink(s);
    conn_.worker().defer_delete(s);
  }
  resume_.clear();
  dispatch_.clear();
  nghttp2_session_del(session_);
  session_ = nullptr;
}

}  // namespace espd::client
