// Strict HTTP/1.x response-head parser for what real servers send back.
#pragma once

#include <cstddef>
#include <string_view>

#include "proxy/http1/message.h"
#include "proxy/http1/request_parser.h"

namespace espd::http1 {

struct ResponseLimits {
  size_t max_head_bytes = 65536;
  size_t max_headers = 100;
};

// Same calling convention as RequestParser. Body framing follows RFC 9112 6.3: no body for a
// response to HEAD, for 1xx, 204 and 304; otherwise chunked, Content-Length, or until close.
// Rejected: bare LF, obs-fold, control characters, bad status line, both Content-Length and
// Transfer-Encoding, invalid or repeated Content-Length, Transfer-Encoding other than chunked.
class ResponseParser {
 public:
  explicit ResponseParser(ResponseLimits limits = {}) : limits_(limits) {}

  ParseStatus parse(std::string_view data, bool request_was_head, ResponseHead& head);
  size_t consumed() const { return consumed_; }
  ParseError error() const { return error_; }
  void reset();

 private:
  ParseStatus fail(ParseError error);

  ResponseLimits limits_;
  HeadScanner scanner_;
  size_t consumed_ = 0;
  ParseError error_ = ParseError::kNone;
};

}  // namespace espd::http1
