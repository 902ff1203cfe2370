// One HTTP/2 stream of a client connection: its request is checked and dispatched exactly like an
// HTTP/1.1 request, forwarded to a real server as HTTP/1.1, and the response is relayed back as
// HEADERS and DATA frames, with flow control as the back-pressure in both directions.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "proxy/base/chain_buffer.h"
#include "proxy/client/request_body_pace.h"
#include "proxy/esp/esp_log.h"
#include "proxy/exchange/exchange.h"
#include "proxy/exchange/exchange_client.h"
#include "proxy/http2/request_header_block.h"
#include "proxy/runtime/worker.h"

namespace espd::client {

class Http2ClientSession;

class Http2Stream final : public exchange::ExchangeClient, public runtime::Deferred {
 public:
  Http2Stream(Http2ClientSession& session, int32_t id, uint64_t now_ms);
  ~Http2Stream() override;

  int32_t id() const { return id_; }
  // The request's header block while it is being received (null afterwards).
  http2::RequestHeaderBlock* header_block() { return block_.get(); }
  uint64_t opened_ms() const { return opened_ms_; }

  // --- from the session, as frames arrive ---
  // The request's header block is complete; `end_stream`: no body follows.
  void on_request_head(bool end_stream);
  // Checks the request and hands it to the dispatcher (after the input that carried it).
  void dispatch_request();
  void on_request_data(std::string_view data);
  void on_request_end();
  // nghttp2 asks for up to `length` bytes of response body (its data source callback).
  ssize_t read_response(uint8_t* out, size_t length, uint32_t* data_flags);
  // The stream closed (completed, or reset by either side).
  void on_close(uint32_t error_code);
  // After frames were produced: the exchange may deliver the response body it was holding.
  void resume_exchange();

  bool request_complete() const { return request_state_ == RequestState::kComplete; }
  bool closed() const { return closed_; }
  // Response bytes wait for flow-control window since `stalled_since_ms()` (0: none wait).
  uint64_t stalled_since_ms() const { return response_body_.empty() ? 0 : last_progress_ms_; }
  // When the request body's pace must be judged next (absolute ms; UINT64_MAX: not timed).
  uint64_t body_check_ms() const;
  // Judges the request body's pace at `now_ms` (slowloris on bodies): 408 when it stalled or
  // is too slow. Only the client's own slowness counts, as for HTTP/1.1 (see body_timed()).
  void check_body_pace(uint64_t now_ms);
  // Resets the stream (RST_STREAM with `error_code`), logging why on the security stream.
  void reset(uint32_t error_code, std::string_view reason, std::string_view detail);
  // espd itself reset the stream (its reason is logged where that was decided); a reset that
  // is not marked came from nghttp2's own checks.
  void mark_reset() { reset_by_espd_ = true; }
  bool reset_by_espd() const { return reset_by_espd_; }
  // What is known of the request for a security record (null: nothing yet): the pseudo-header
  // fields as received until the stream is dispatched (or its block refused), then what the
  // dispatcher saw (host and path normalised when they could be), as an HTTP/1.1 record says it.
  const esp::RequestFacts* known_request();

  // --- exchange::ExchangeClient ---
  void on_interim_response(const http1::ResponseHead& head) override;
  void on_response_head(const http1::ResponseHead& head) override;
  bool on_response_body(std::string_view data) override;
  void on_response_end(std::string_view trailers) override;
  void on_request_body_drained() override;
  void on_exchange_failed(uint16_t status, std::string_view reason,
                          std::string_view detail) override;

  // The session's list of open streams.
  Http2Stream* prev = nullptr;
  Http2Stream* next = nullptr;

 private:
  enum class RequestState : uint8_t { kHead, kBody, kComplete };

  void dispatch(http1::RequestHead& head);
  // A refusal of the client's request: security record, then a local answer.
  void refuse(uint16_t status, std::string_view reason);
  void respond_locally(uint16_t status, std::string_view body, std::string_view extra_fields);
  // Submits the response head; `body`: DATA frames follow (read from response_body_).
  void submit_response(bool body);
  void forward_request_body();
  void end_request_body();
  void finish_exchange();
  void finish_access_record();
  // Marks `n` bytes of request body as passed on: their flow-control window opens again.
  void consume_request(size_t n);
  // The body is being sent and the client, not espd, is the one to wait for.
  bool body_timed() const;
  // The client cannot send: the flow-control window of the stream or the connection is closed
  // (espd holds what came until the real server takes it). Not the client's fault.
  bool client_blocked() const;
  // Keeps the block's pseudo-header fields as received (the block is refused or incomplete).
  void note_received_request();

  Http2ClientSession& session_;
  int32_t id_;
  std::unique_ptr<http2::RequestHeaderBlock> block_;
  exchange::Exchange* exchange_ = nullptr;
  ChainBuffer request_body_;   // received, not yet taken by the real server
  ChainBuffer response_body_;  // from the real server (or a local answer), not yet sent
  std::string trailers_;       // the response's trailer lines, until they are sent
  RequestBodyPace body_pace_;  // started at the dispatch of a request with a body
  std::unique_ptr<esp::AccessRecord> access_;  // only when the access stream is on
  esp::RequestFacts request_;                  // for the security and access records
  uint64_t opened_ms_;
  uint64_t request_started_ms_ = 0;  // 0: no request to account for
  uint64_t last_progress_ms_ = 0;
  uint64_t request_bytes_ = 0;
  uint64_t response_bytes_ = 0;
  uint16_t status_ = 0;
  RequestState request_state_ = RequestState::kHead;
  bool head_request_ = false;
  bool head_ended_stream_ = false;  // the HEADERS frame had END_STREAM: no body at all
  bool dispatched_ = false;         // dispatch_request() ran
  bool request_end_sent_ = false;   // end_request_body() was called
  bool response_started_ = false;   // a response head was submitted
  bool response_ended_ = false;     // every response byte is in response_body_
  bool response_blocked_ = false;   // the exchange waits for resume_response()
  bool data_deferred_ = false;      // nghttp2 waits for nghttp2_session_resume_data()
  bool reset_by_espd_ = false;
  bool closed_ = false;
};

}  // namespace espd::client
