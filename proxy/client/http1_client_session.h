// HTTP/1.1 on a client connection: reads requests one at a time (pipelined ones wait their turn),
// dispatches each, streams the request body to the exchange and the response back, keep-alive.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "proxy/client/client_connection.h"
#include "proxy/client/client_session.h"
#include "proxy/client/request_body_pace.h"
#include "proxy/esp/esp_log.h"
#include "proxy/exchange/exchange.h"
#include "proxy/exchange/exchange_client.h"
#include "proxy/exchange/forwarded_response.h"
#include "proxy/exchange/pending_body.h"
#include "proxy/http1/chunked_decoder.h"
#include "proxy/http1/request_parser.h"

namespace espd::client {

class Http1ClientSession final : public ClientSession, public exchange::ExchangeClient {
 public:
  explicit Http1ClientSession(ClientConnection& connection);
  ~Http1ClientSession() override;

  // ClientSession
  void on_readable() override;
  void on_writable() override;
  void on_timer() override;
  void shutdown_gracefully() override;
  void abandon() override;
  bool idle() const override;
  void release_idle_memory() override;

  // exchange::ExchangeClient
  void on_interim_response(const http1::ResponseHead& head) override;
  void on_response_head(const http1::ResponseHead& head) override;
  bool on_response_body(std::string_view data) override;
  void on_response_end(std::string_view trailers) override;
  void on_request_body_drained() override;
  void on_exchange_failed(uint16_t status, std::string_view reason,
                          std::string_view detail) override;

 private:
  enum class State : uint8_t {
    kIdle,        // between requests
    kHead,        // reading a request head
    kForwarding,  // an exchange is running
    kClosing,     // the last response is being written, then the connection closes
  };

  bool wants_input() const;
  // Answers not yet written to a client that does not read: no further pipelined request is
  // parsed until they are, so a pipeline of local answers (403, 301) cannot grow memory.
  bool output_backed_up() const;
  bool make_room();
  void process_input();
  void begin_request(const http1::RequestHead& head);
  void forward_request_body();
  void respond_locally(uint16_t status, std::string_view body, std::string_view extra_fields,
                       bool close);
  void reject_request(uint16_t status, std::string_view reason, std::string_view body);
  const esp::RequestFacts* known_request() const {
    return request_.method.empty() ? nullptr : &request_;
  }
  void finish_exchange();
  void next_request();
  void on_client_gone();
  // Slowloris on bodies: the body timer, and what it does when it fires.
  void arm_body_timer();
  void check_body_pace();
  // Counts the request in the service's metrics and writes its access record (if that stream is
  // on); once per request.
  void finish_access_record(uint16_t status);

  ClientConnection& conn_;
  const config::LimitsConfig& limits_;
  http1::RequestParser parser_;
  http1::ChunkedDecoder request_chunked_;
  exchange::Exchange* exchange_ = nullptr;
  exchange::PendingBody request_pending_;
  RequestBodyPace body_pace_;
  std::unique_ptr<esp::AccessRecord> access_;  // only while a request runs, only when logged
  // What is known of the running request (empty between requests), for its security record and
  // then its access record: filled only when one of those streams is on.
  esp::RequestFacts request_;
  uint64_t request_started_ms_ = 0;  // 0: no request to account for
  uint64_t duration_ms_ = 0;
  uint64_t request_bytes_in_start_ = 0;
  uint64_t request_bytes_out_start_ = 0;
  uint16_t response_status_ = 0;
  uint64_t request_remaining_ = 0;
  uint64_t request_body_bytes_ = 0;
  uint32_t requests_this_turn_ = 0;  // pipelined requests started in this readable callback
  State state_ = State::kIdle;
  http1::BodyKind request_body_ = http1::BodyKind::kNone;
  exchange::ClientFraming framing_ = exchange::ClientFraming::kNone;
  uint8_t version_minor_ = 1;
  bool head_request_ = false;
  bool request_done_ = false;
  bool response_started_ = false;
  bool response_blocked_ = false;
  bool close_after_response_ = false;
};

}  // namespace espd::client
