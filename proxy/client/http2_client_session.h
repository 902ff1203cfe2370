// HTTP/2 on a client connection (ALPN "h2"): an nghttp2 server session fed from the connection's
// transport, streams carried to real servers as HTTP/1.1 exchanges, output with back-pressure,
// limits and flood protection, idle timeout and graceful GOAWAY.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <string_view>
#include <vector>

#include "proxy/client/client_connection.h"
#include "proxy/client/client_session.h"
#include "proxy/client/http2_stream.h"
#include "proxy/http2/rate_limit.h"
#include "proxy/http2/response_header_list.h"
#include "proxy/http2/session_memory.h"

namespace espd::client {

class Http2ClientSession final : public ClientSession {
 public:
  explicit Http2ClientSession(ClientConnection& connection);
  ~Http2ClientSession() override;

  // ClientSession
  void on_readable() override;
  void on_writable() override;
  void on_timer() override;
  void shutdown_gracefully() override;
  void abandon() override;
  bool idle() const override { return open_streams_ == 0 && idle_released_; }
  // Nothing to send and no stream open for the configured delay: gives back what only active
  // connections need (nghttp2's frame pages, the TLS record buffers).
  void release_idle_memory() override;

  // --- for streams ---
  ClientConnection& connection() { return conn_; }
  nghttp2_session* nghttp2() { return session_; }
  const config::LimitsConfig& limits() const { return limits_; }
  // Built and submitted within one call, so one list serves every session of the thread.
  static http2::ResponseHeaderList& header_list();
  // Body bytes held for all streams, against h2_connection_buffer_bytes.
  size_t buffered() const { return buffered_; }
  void add_buffered(size_t n) { buffered_ += n; }
  void remove_buffered(size_t n) { buffered_ -= n; }
  // Frames were submitted: produce and send them once the current event is handled.
  void want_send();
  // `n` bytes of DATA were sent: the client may answer them with WINDOW_UPDATEs.
  void note_data_sent(size_t n);
  // The stream's request head is complete: dispatched once the current input is processed.
  void queue_dispatch(Http2Stream* stream) { dispatch_.push_back(stream); }
  // The stream's exchange may deliver more once the frames being produced are out.
  void queue_resume(Http2Stream* stream) { resume_.push_back(stream); }
  void log_security(std::string_view reason, std::string_view detail, uint16_t status,
                    const esp::RequestFacts* facts);
  // A stream was refused as malformed: counted, since a stream of them is a flood.
  void note_malformed_stream();

  // --- nghttp2 callbacks (http2_callbacks.cc forwards them here); 0 or an nghttp2 error ---
  int on_begin_frame(const nghttp2_frame_hd& header);
  int on_begin_headers(const nghttp2_frame& frame);
  int on_header(const nghttp2_frame& frame, std::string_view name, std::string_view value);
  int on_invalid_header(const nghttp2_frame& frame, std::string_view name, std::string_view value);
  int on_frame_recv(const nghttp2_frame& frame);
  int on_data_chunk(int32_t stream_id, std::string_view data);
  int on_stream_close(int32_t stream_id, uint32_t error_code);
  int on_frame_send(const nghttp2_frame& frame);
  int on_invalid_frame(const nghttp2_frame& frame, int library_error);
  void on_library_error(std::string_view message);

 private:
  // Produces frames into the output, sends them, resumes exchanges; closes when nghttp2 is done.
  void pump();
  // A flood or other abuse: GOAWAY with ENHANCE_YOUR_CALM, a security record, no more reading.
  // Returns the nghttp2 error that stops the current input.
  // `request`: the stream whose decoding showed the abuse, named in the record when known.
  int refuse_connection(uint32_t error_code, std::string_view reason, std::string_view detail,
                        const esp::RequestFacts* request = nullptr);
  int count(http2::RateLimit& limit, std::string_view what);
  void log_library_detail();
  // Dispatches the streams whose heads arrived in the input just processed and are still open.
  void dispatch_queued();
  // Closes the connection once the queued output is sent.
  void finish();
  // GOAWAY(NO_ERROR) with the last stream processed: no new streams, those in flight finish.
  void go_away();
  // Every stream abandoned (their exchanges aborted), the nghttp2 session freed.
  void end_session();
  void arm_timer();
  void unlink(Http2Stream* stream);
  Http2Stream* stream(int32_t id);

  ClientConnection& conn_;
  const config::LimitsConfig& limits_;
  http2::SessionMemory memory_;  // declared before session_: it must outlive it
  nghttp2_session* session_ = nullptr;
  Http2Stream* streams_ = nullptr;  // open streams, newest first
  std::string library_detail_;      // nghttp2's last error message, until it is logged
  std::vector<Http2Stream*> dispatch_;
  std::vector<Http2Stream*> resume_;
  http2::RateLimit resets_;
  http2::RateLimit settings_;
  http2::RateLimit pings_;
  http2::RateLimit window_updates_;
  http2::RateLimit priorities_;
  http2::RateLimit empty_frames_;
  http2::RateLimit malformed_streams_;
  uint64_t opened_ms_;
  uint64_t last_activity_ms_;
  uint64_t output_blocked_since_ms_ = 0;  // 0: the output is not blocked
  uint64_t timer_deadline_ms_ = UINT64_MAX;
  size_t buffered_ = 0;
  size_t data_sent_uncredited_ = 0;  // DATA bytes not yet turned into WINDOW_UPDATE credit
  uint32_t open_streams_ = 0;
  bool preface_received_ = false;
  bool reading_paused_ = false;  // the client does not read what is queued for it
  bool idle_released_ = false;   // the idle connection's buffers went back already
  bool pumping_ = false;
  bool going_away_ = false;  // GOAWAY submitted: streams in flight finish, then the connection ends
  bool terminated_ = false;  // ended for abuse or a protocol error: no more input is processed
  bool finishing_ = false;   // the connection closes once the output is sent
};

}  // namespace espd::client
