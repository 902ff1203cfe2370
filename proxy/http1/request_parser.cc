// Strict HTTP/1.1 request-head parser.
#include "proxy/http1/request_parser.h"

#include "proxy/http1/field_syntax.h"

namespace espd::http1 {
namespace {

constexpr size_t kMaxLeadingEmptyLines = 2;

bool starts_with_icase(std::string_view text, std::string_view prefix) {
  return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

bool is_target_char(unsigned char c) {
  return c > 0x20 && c < 0x7f && c != '#';
}

ParseError parse_version(std::string_view text, uint8_t& minor) {
  if (text == "HTTP/1.1") {
    minor = 1;
    return ParseError::kNone;
  }
  if (text == "HTTP/1.0") {
    minor = 0;
    return ParseError::kNone;
  }
  // Well-formed but another version (HTTP/2.0, HTTP/0.9, HTTP/1.2): 505.
  if (text.size() == 8 && text.substr(0, 5) == "HTTP/" && text[5] >= '0' && text[5] <= '9' &&
      text[6] == '.' && text[7] >= '0' && text[7] <= '9') {
    return ParseError::kVersionNotSupported;
  }
  return ParseError::kBadVersion;
}

// Splits the request-target into path, query and (absolute-form) authority.
ParseError parse_target(RequestHead& head) {
  std::string_view target = head.target;
  if (target == "*") {
    if (head.method != "OPTIONS") return ParseError::kBadTarget;
    head.path = target;
    return ParseError::kNone;
  }
  std::string_view rest;
  if (target.front() == '/') {
    rest = target;
  } else if (starts_with_icase(target, "http://") || starts_with_icase(target, "https://")) {
    std::string_view after_scheme = target.substr(target.find("//") + 2);
    size_t end = after_scheme.find_first_of("/?");
    head.absolute_authority = after_scheme.substr(0, end);
    if (!is_valid_host(head.absolute_authority)) return ParseError::kBadTarget;
    rest = end == std::string_view::npos ? std::string_view() : after_scheme.substr(end);
  } else {
    return ParseError::kBadTarget;
  }
  size_t question = rest.find('?');
  head.path = rest.substr(0, question);
  head.query = question == std::string_view::npos ? std::string_view() : rest.substr(question + 1);
  if (head.path.empty()) head.path = "/";
  return ParseError::kNone;
}

}  // namespace

void RequestParser::reset() {
  scanner_.reset();
  consumed_ = 0;
  error_ = ParseError::kNone;
}

ParseStatus RequestParser::fail(ParseError error) {
  error_ = error;
  return ParseStatus::kError;
}

ParseStatus RequestParser::parse(std::string_view data, RequestHead& head) {
  if (error_ != ParseError::kNone) return ParseStatus::kError;
  switch (scanner_.scan(data, limits_.max_head_bytes, kMaxLeadingEmptyLines)) {
    case HeadScanner::Result::kIncomplete:
      return ParseStatus::kIncomplete;
    case HeadScanner::Result::kError:
      return fail(scanner_.error());
    case HeadScanner::Result::kComplete:
      break;
  }
  std::string_view section =
      data.substr(scanner_.head_start(), scanner_.head_end() - scanner_.head_start());
  // Reset every field but keep the vector's capacity for the next message.
  std::vector<Header> fields = std::move(head.headers);
  fields.clear();
  head = RequestHead();
  head.headers = std::move(fields);

  // Request line: method SP request-target SP HTTP-version, one space each.
  size_t line_end = section.find("\r\n");
  std::string_view line = section.substr(0, line_end);
  size_t first_space = line.find(' ');
  if (first_space == std::string_view::npos || first_space == 0)
    return fail(ParseError::kBadRequestLine);
  head.method = line.substr(0, first_space);
  if (!is_token(head.method)) return fail(ParseError::kBadMethod);
  if (head.method == "CONNECT") return fail(ParseError::kBadMethod);
  size_t second_space = line.find(' ', first_space + 1);
  if (second_space == std::string_view::npos || second_space == first_space + 1) {
    return fail(ParseError::kBadRequestLine);
  }
  head.target = line.substr(first_space + 1, second_space - first_space - 1);
  if (head.target.size() > limits_.max_target_bytes) return fail(ParseError::kUriTooLong);
  for (unsigned char c : head.target) {
    if (!is_target_char(c)) return fail(ParseError::kBadTarget);
  }
  std::string_view version = line.substr(second_space + 1);
  if (version.find(' ') != std::string_view::npos) return fail(ParseError::kBadRequestLine);
  if (ParseError e = parse_version(version, head.version_minor); e != ParseError::kNone)
    return fail(e);
  if (ParseError e = parse_target(head); e != ParseError::kNone) return fail(e);

  int hosts = 0;
  bool has_length = false;
  bool has_transfer_encoding = false;
  // The section ends with the empty line's CRLF, which is not a field line.
  head.field_lines = section.substr(line_end + 2, section.size() - line_end - 4);
  ParseError error =
      for_each_field(section.substr(line_end + 2), limits_.max_headers, [&](const Header& field) {
        head.headers.push_back(field);
        std::string_view name = field.name;
        if (name.size() == 4 && iequals(name, "host")) {
          if (++hosts > 1) return ParseError::kDuplicateHost;
          if (!is_valid_host(field.value)) return ParseError::kBadHost;
          head.host = field.value;
        } else if (name.size() == 14 && iequals(name, "content-length")) {
          if (has_length) return ParseError::kDuplicateContentLength;
          has_length = true;
          if (!parse_content_length(field.value, head.body.content_length)) {
            return ParseError::kBadContentLength;
          }
        } else if (name.size() == 17 && iequals(name, "transfer-encoding")) {
          if (has_transfer_encoding || !iequals(field.value, "chunked")) {
            return ParseError::kBadTransferEncoding;
          }
          has_transfer_encoding = true;
        } else if (name.size() == 10 && iequals(name, "connection")) {
          for_each_list_element(field.value, [&](std::string_view token) {
            if (iequals(token, "close")) head.connection_close = true;
            if (iequals(token, "keep-alive")) head.connection_keep_alive = true;
          });
        } else if (name.size() == 6 && iequals(name, "expect")) {
          if (iequals(field.value, "100-continue")) head.expect_continue = true;
        } else if (iequals_as_server_variable(name, "content-length") ||
                   iequals_as_server_variable(name, "transfer-encoding")) {
          // A server that reads its framing through server variables would see a second
          // Content-Length or Transfer-Encoding where espd sees an unknown field.
          return ParseError::kFramingFieldLookalike;
        }
        return ParseError::kNone;
      });
  if (error != ParseError::kNone) return fail(error);
  if (has_length && has_transfer_encoding)
    return fail(ParseError::kContentLengthWithTransferEncoding);
  if (has_transfer_encoding && head.version_minor == 0)
    return fail(ParseError::kBadTransferEncoding);
  if (hosts == 0 && head.version_minor == 1) return fail(ParseError::kMissingHost);
  if (has_transfer_encoding) {
    head.body.kind = BodyKind::kChunked;
  } else if (has_length) {
    head.body.kind = BodyKind::kContentLength;
  }
  if (head.version_minor == 0 && !head.connection_keep_alive) head.connection_close = true;
  consumed_ = scanner_.head_end();
  return ParseStatus::kComplete;
}

}  // namespace espd::http1
