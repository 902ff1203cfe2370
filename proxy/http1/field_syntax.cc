// Character classes and the field-line grammar shared by the HTTP/1.1 parsers.
#include "proxy/http1/field_syntax.h"

#include <cstring>

namespace espd::http1 {
namespace {

bool is_host_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

}  // namespace

ParseError parse_field_line(std::string_view line, Header& field) {
  if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) return ParseError::kObsFold;
  // The name is the run of token bytes; it must be followed by the colon at once (no empty name,
  // no whitespace or other byte before the colon).
  size_t colon = 0;
  while (colon < line.size() && is_token_char(static_cast<unsigned char>(line[colon])))
    ++colon;
  if (colon == 0 || colon == line.size() || line[colon] != ':') return ParseError::kBadHeaderName;
  std::string_view name = line.substr(0, colon);
  std::string_view value = line.substr(colon + 1);
  if (!is_field_value(value)) return ParseError::kBadHeaderValue;
  field.name = name;
  field.value = trim_ows(value);
  return ParseError::kNone;
}

HeadScanner::Result HeadScanner::scan(std::string_view data, size_t max_head_bytes,
                                      size_t max_leading_empty_lines) {
  if (error_ != ParseError::kNone) return Result::kError;
  if (head_end_ != 0) return Result::kComplete;
  while (scanned_ < data.size()) {
    const void* found = std::memchr(data.data() + scanned_, '\n', data.size() - scanned_);
    if (!found) {
      scanned_ = data.size();
      break;
    }
    size_t lf = static_cast<const char*>(found) - data.data();
    scanned_ = lf + 1;
    // Beyond the limit nothing is examined, a bare LF included: the verdict (431, not 400) must
    // not depend on whether the bytes up to the limit came in one read or several.
    if (lf + 1 - head_start_ > max_head_bytes) {
      error_ = ParseError::kHeadTooLarge;
      return Result::kError;
    }
    if (lf == line_start_ || data[lf - 1] != '\r') {
      error_ = ParseError::kBareLf;
      return Result::kError;
    }
    bool empty_line = lf == line_start_ + 1;
    line_start_ = lf + 1;
    if (!empty_line) continue;
    if (lf + 1 == head_start_ + 2) {  // an empty line before the start line
      if (++leading_empty_ > max_leading_empty_lines) {
        error_ = ParseError::kBadRequestLine;
        return Result::kError;
      }
      head_start_ = lf + 1;
      continue;
    }
    head_end_ = lf + 1;
    if (head_end_ - head_start_ > max_head_bytes) {
      error_ = ParseError::kHeadTooLarge;
      return Result::kError;
    }
    return Result::kComplete;
  }
  if (data.size() - head_start_ > max_head_bytes) {
    error_ = ParseError::kHeadTooLarge;
    return Result::kError;
  }
  return Result::kIncomplete;
}

bool parse_content_length(std::string_view value, uint64_t& length) {
  if (value.empty() || value.size() > 19) return false;
  uint64_t result = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return false;
    result = result * 10 + static_cast<uint64_t>(c - '0');
  }
  length = result;
  return true;
}

bool is_valid_host(std::string_view host) {
  if (host.empty()) return false;
  std::string_view name = host;
  std::string_view port;
  if (host.front() == '[') {
    size_t close = host.find(']');
    if (close == std::string_view::npos || close < 3) return false;
    for (unsigned char c : host.substr(1, close - 1)) {
      bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      if (!hex && c != ':' && c != '.') return false;
    }
    std::string_view rest = host.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port = rest.substr(1);
      if (port.empty()) return false;
    }
  } else {
    size_t colon = host.find(':');
    if (colon != std::string_view::npos) {
      name = host.substr(0, colon);
      port = host.substr(colon + 1);
      if (port.empty()) return false;
    }
    if (name.empty()) return false;
    for (unsigned char c : name) {
      if (!is_host_char(c)) return false;
    }
  }
  if (!port.empty()) {
    if (port.size() > 5) return false;
    unsigned value = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return false;
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) return false;
  }
  return true;
}

}  // namespace espd::http1
