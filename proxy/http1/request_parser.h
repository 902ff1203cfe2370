// Strict HTTP/1.1 request-head parser (RFC 9112), incremental over a growing buffer.
#pragma once

#include <cstddef>
#include <string_view>

#include "proxy/http1/field_syntax.h"
#include "proxy/http1/message.h"

namespace espd::http1 {

struct RequestLimits {
  size_t max_head_bytes = 65536;  // request line + fields + final CRLF
  size_t max_headers = 100;
  size_t max_target_bytes = 8192;  // longer request-target: 414 (within max_head_bytes)
};

enum class ParseStatus : uint8_t { kIncomplete, kComplete, kError };

// Usage: call parse() with everything buffered so far for the current request (the same start
// pointer each time, growing); it resumes scanning where it stopped. On kComplete, `head` views
// point into `data` and consumed() is the head's length (the body, if any, follows). On kError,
// error() says why. reset() before the next request.
//
// Rejected (never "repaired"): bare LF anywhere in the head, obs-fold, control characters other
// than HTAB in field values, whitespace between a field name and the colon, invalid token
// characters in method or field names, a missing Host in HTTP/1.1, several Host fields, both
// Content-Length and Transfer-Encoding, an invalid, signed, or repeated Content-Length (also
// "5, 5"), a Transfer-Encoding whose final coding is not "chunked" or which lists an unknown
// coding, "Content_Length" and "Transfer_Encoding" (the same field to a server that reads CGI-style
// variables), HTTP versions other than 1.0 and 1.1. "Content-Length: 05" is valid (1*DIGIT) and
// means 5; it is forwarded as "5". Leading empty lines before the request line
// (RFC 9112 2.2) are skipped, at most a few.
class RequestParser {
 public:
  explicit RequestParser(RequestLimits limits = {}) : limits_(limits) {}

  ParseStatus parse(std::string_view data, RequestHead& head);
  size_t consumed() const { return consumed_; }
  ParseError error() const { return error_; }
  void reset();

 private:
  ParseStatus fail(ParseError error);

  RequestLimits limits_;
  HeadScanner scanner_;  // remembers how far the end of the head was searched
  size_t consumed_ = 0;
  ParseError error_ = ParseError::kNone;
};

}  // namespace espd::http1
