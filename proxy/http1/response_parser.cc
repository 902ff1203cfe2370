// Strict HTTP/1.x response-head parser.
#include "proxy/http1/response_parser.h"

#include "proxy/http1/field_syntax.h"

namespace espd::http1 {

void ResponseParser::reset() {
  scanner_.reset();
  consumed_ = 0;
  error_ = ParseError::kNone;
}

ParseStatus ResponseParser::fail(ParseError error) {
  error_ = error;
  return ParseStatus::kError;
}

ParseStatus ResponseParser::parse(std::string_view data, bool request_was_head,
                                  ResponseHead& head) {
  if (error_ != ParseError::kNone) return ParseStatus::kError;
  switch (scanner_.scan(data, limits_.max_head_bytes, 0)) {
    case HeadScanner::Result::kIncomplete:
      return ParseStatus::kIncomplete;
    case HeadScanner::Result::kError:
      // An empty line where the status line belongs is a bad status line, not a request error.
      return fail(scanner_.error() == ParseError::kBadRequestLine ? ParseError::kBadStatusLine
                                                                  : scanner_.error());
    case HeadScanner::Result::kComplete:
      break;
  }
  std::string_view section = data.substr(0, scanner_.head_end());
  // Reset every field but keep the vector's capacity for the next message.
  std::vector<Header> fields = std::move(head.headers);
  fields.clear();
  head = ResponseHead();
  head.headers = std::move(fields);

  // Status line: HTTP-version SP 3DIGIT [SP reason-phrase]
  size_t line_end = section.find("\r\n");
  std::string_view line = section.substr(0, line_end);
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || (line[7] != '0' && line[7] != '1') ||
      line[8] != ' ') {
    return fail(ParseError::kBadStatusLine);
  }
  head.version_minor = static_cast<uint8_t>(line[7] - '0');
  uint16_t status = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') return fail(ParseError::kBadStatusLine);
    status = static_cast<uint16_t>(status * 10 + (line[i] - '0'));
  }
  if (status < 100 || status > 599) return fail(ParseError::kBadStatusLine);
  head.status = status;
  if (line.size() > 12) {
    if (line[12] != ' ') return fail(ParseError::kBadStatusLine);
    head.reason = line.substr(13);
    for (unsigned char c : head.reason) {
      if (!is_field_value_char(c)) return fail(ParseError::kBadStatusLine);
    }
  }

  bool has_length = false;
  bool has_transfer_encoding = false;
  uint64_t length = 0;
  // The section ends with the empty line's CRLF, which is not a field line.
  head.field_lines = section.substr(line_end + 2, section.size() - line_end - 4);
  ParseError error =
      for_each_field(section.substr(line_end + 2), limits_.max_headers, [&](const Header& field) {
        head.headers.push_back(field);
        std::string_view name = field.name;
        if (name.size() == 14 && iequals(name, "content-length")) {
          if (has_length) return ParseError::kDuplicateContentLength;
          has_length = true;
          if (!parse_content_length(field.value, length)) return ParseError::kBadContentLength;
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
        }
        return ParseError::kNone;
      });
  if (error != ParseError::kNone) return fail(error);
  if (has_length && has_transfer_encoding)
    return fail(ParseError::kContentLengthWithTransferEncoding);

  head.body.content_length = length;
  if (request_was_head || status < 200 || status == 204 || status == 304) {
    head.body.kind = BodyKind::kNone;
  } else if (has_transfer_encoding) {
    head.body.kind = BodyKind::kChunked;
  } else if (has_length) {
    head.body.kind = BodyKind::kContentLength;
  } else {
    head.body.kind = BodyKind::kUntilClose;
  }
  consumed_ = scanner_.head_end();
  return ParseStatus::kComplete;
}

}  // namespace espd::http1
