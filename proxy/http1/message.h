// Parsed HTTP/1.x message heads. Views point into the caller's receive buffer.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "proxy/http1/char_class.h"

namespace espd::http1 {

struct Header {
  std::string_view name;   // as received (case preserved); compare with iequals()
  std::string_view value;  // leading/trailing OWS removed
};

enum class BodyKind : uint8_t {
  kNone,           // no body (no framing header on a request; HEAD/1xx/204/304 responses)
  kContentLength,  // exactly content_length bytes
  kChunked,        // chunked transfer coding (the final coding)
  kUntilClose,     // responses only: delimited by the server closing the connection
};

struct BodyFraming {
  BodyKind kind = BodyKind::kNone;
  uint64_t content_length = 0;
};

struct RequestHead {
  std::string_view method;
  std::string_view target;  // request-target as received (origin-form, absolute-form, ...)
  std::string_view path;    // for origin-form: target up to '?'; for absolute-form: its path
  std::string_view query;   // after '?', without it; empty if none
  std::string_view absolute_authority;  // authority of an absolute-form target, else empty
  uint8_t version_minor = 1;            // HTTP/1.<minor>: 0 or 1
  std::string_view host;                // the single Host header's value ("" if absent in 1.0)
  BodyFraming body;
  bool connection_close = false;       // "Connection: close" (or 1.0 without keep-alive)
  bool connection_keep_alive = false;  // "Connection: keep-alive" present
  bool expect_continue = false;        // "Expect: 100-continue"
  std::vector<Header> headers;         // every field, in order, including Host
  // The received field lines, each with its CRLF, without the empty line ("" if none, or if the
  // head was not parsed from HTTP/1.1): forwarding copies unchanged lines from here.
  std::string_view field_lines;
};

struct ResponseHead {
  uint8_t version_minor = 1;
  uint16_t status = 0;
  std::string_view reason;
  BodyFraming body;
  bool connection_close = false;
  bool connection_keep_alive = false;
  std::vector<Header> headers;
  std::string_view field_lines;  // as in RequestHead
};

// Why a message was rejected. Each maps to one status (request_error_status) and one log reason
// (error_reason), e.g. kDuplicateContentLength -> 400, "duplicate_content_length".
enum class ParseError : uint8_t {
  kNone,
  kBadRequestLine,
  kBadMethod,
  kBadTarget,
  kUriTooLong,
  kBadVersion,
  kVersionNotSupported,
  kHeadTooLarge,
  kTooManyHeaders,
  kBareLf,
  kObsFold,
  kBadHeaderName,
  kBadHeaderValue,
  kMissingHost,
  kDuplicateHost,
  kBadHost,
  kContentLengthWithTransferEncoding,
  kBadContentLength,
  kDuplicateContentLength,
  kBadTransferEncoding,
  kBadStatusLine,
  kBadChunkSize,
  kBadChunkFraming,
  kChunkLineTooLong,
  kTrailersTooLarge,
  kFramingFieldLookalike,  // "Content_Length", "Transfer_Encoding"
};

const char* error_reason(ParseError error);       // stable snake_case name for logs
uint16_t request_error_status(ParseError error);  // 400, 414, 431 or 505

// Like iequals, but "_" also equals "-": the names a CGI-style server variable (IIS, PHP) merges,
// so "X_Forwarded_For" arrives as HTTP_X_FORWARDED_FOR just like "X-Forwarded-For".
constexpr bool iequals_as_server_variable(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    unsigned char x = to_lower_ascii(static_cast<unsigned char>(a[i] == '_' ? '-' : a[i]));
    unsigned char y = to_lower_ascii(static_cast<unsigned char>(b[i] == '_' ? '-' : b[i]));
    if (x != y) return false;
  }
  return true;
}

// True for the fields a proxy must not forward (RFC 9110 7.6.1): Connection, Keep-Alive,
// Proxy-Connection, TE, Transfer-Encoding, Upgrade, Proxy-Authenticate, Proxy-Authorization.
bool is_hop_by_hop(std::string_view name);

// True if `name` is listed as a token in any of the Connection header values in `headers`.
bool listed_in_connection(const std::vector<Header>& headers, std::string_view name);

}  // namespace espd::http1
