// What the client side (an HTTP/1.1 connection, or an HTTP/2 stream) receives from an exchange.
#pragma once

#include <cstdint>
#include <string_view>

#include "proxy/http1/message.h"

namespace espd::exchange {

class ExchangeClient {
 public:
  virtual ~ExchangeClient() = default;
  virtual void on_interim_response(const http1::ResponseHead& head) = 0;  // e.g. 100 Continue
  virtual void on_response_head(const http1::ResponseHead& head) = 0;
  // At most kMaxBodyPiece bytes. Return false when the piece cannot be taken now; call
  // Exchange::resume_response() when it can: the same piece is offered again.
  virtual bool on_response_body(std::string_view data) = 0;
  virtual void on_response_end(std::string_view trailers) = 0;
  // The real server can take request body again after offer_request_body() returned false.
  virtual void on_request_body_drained() = 0;
  // The exchange failed. `status` (502, 503, 504) is what to answer when no response head was
  // sent yet; with a response under way the client side can only abort. `reason` is a stable
  // snake_case word for logs, `detail` a sentence.
  virtual void on_exchange_failed(uint16_t status, std::string_view reason,
                                  std::string_view detail) = 0;
};

}  // namespace espd::exchange
