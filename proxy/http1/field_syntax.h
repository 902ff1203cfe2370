// Character classes and the field-line grammar shared by the request, response and chunked
// parsers (RFC 9110 5, RFC 9112 5).
#pragma once

#include <cstddef>
#include <string_view>

#include "proxy/http1/char_class.h"
#include "proxy/http1/message.h"

namespace espd::http1 {

// Parses one field line (without its CRLF) into `field`. Errors: kObsFold (leading whitespace),
// kBadHeaderName (empty, non-token, whitespace before the colon), kBadHeaderValue.
ParseError parse_field_line(std::string_view line, Header& field);

// Incremental search for the end of a message head. Every LF must be preceded by CR (else
// kBareLf). Up to `max_leading_empty_lines` empty lines before the first line are skipped.
class HeadScanner {
 public:
  enum class Result : uint8_t { kIncomplete, kComplete, kError };

  Result scan(std::string_view data, size_t max_head_bytes, size_t max_leading_empty_lines);
  size_t head_start() const { return head_start_; }
  size_t head_end() const { return head_end_; }  // just after the final CRLF
  ParseError error() const { return error_; }
  void reset() { *this = HeadScanner(); }

 private:
  size_t scanned_ = 0;     // next byte to examine
  size_t line_start_ = 0;  // start of the line being scanned
  size_t head_start_ = 0;
  size_t head_end_ = 0;
  size_t leading_empty_ = 0;
  ParseError error_ = ParseError::kNone;
};

// Visits the field lines of a complete head section (from after the start line to the empty
// line): calls on_field(Header) for each, stops at the first error. Returns the error or kNone.
template <typename OnField>
ParseError for_each_field(std::string_view section, size_t max_fields, OnField&& on_field) {
  size_t count = 0;
  while (!section.empty()) {
    size_t lf = section.find('\n');  // the scanner guaranteed CRLF line ends
    std::string_view line = section.substr(0, lf - 1);
    section.remove_prefix(lf + 1);
    if (line.empty()) break;  // the empty line ending the head
    if (++count > max_fields) return ParseError::kTooManyHeaders;
    Header field;
    ParseError error = parse_field_line(line, field);
    if (error != ParseError::kNone) return error;
    error = on_field(field);
    if (error != ParseError::kNone) return error;
  }
  return ParseError::kNone;
}

// Parses a Content-Length value: 1 to 19 digits, nothing else.
bool parse_content_length(std::string_view value, uint64_t& length);

// Calls on_token for each comma-separated token (OWS trimmed, empty elements skipped).
template <typename OnToken>
void for_each_list_element(std::string_view value, OnToken&& on_token) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view element = trim_ows(value.substr(0, comma));
    if (!element.empty()) on_token(element);
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
}

// A valid uri-host with an optional port: reg-name (letters, digits, "-._~"), IPv4, or an IPv6
// literal in brackets; port 1 to 5 digits, at most 65535.
bool is_valid_host(std::string_view host);

}  // namespace espd::http1
