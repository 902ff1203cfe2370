// Builds one log record as a single line of JSON.
#include "proxy/log/json_line.h"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace espd::log {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is not valid.
size_t utf8_sequence_length(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  size_t length;
  uint32_t min;
  if (c >= 0xc2 && c <= 0xdf) {
    length = 2;
    min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    length = 3;
    min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    length = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + length > s.size()) return 0;
  uint32_t code = c & (0x7f >> length);
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xc0) != 0x80) return 0;
    code = (code << 6) | (byte(i + k) & 0x3f);
  }
  if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return 0;
  return length;
}

}  // namespace

void append_json_string(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (size_t i = 0; i < value.size();) {
    unsigned char c = static_cast<unsigned char>(value[i]);
    if (c >= 0x80) {
      size_t length = utf8_sequence_length(value, i);
      if (length) {
        out.append(value.substr(i, length));
        i += length;
      } else {
        out += "\\\\x";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
        ++i;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
    ++i;
  }
  out.push_back('"');
}

std::string iso8601_now() {
  auto now = std::chrono::system_clock::now();
  auto seconds = std::chrono::system_clock::to_time_t(now);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm utc;
  gmtime_r(&seconds, &utc);
  char text[64];
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(millis.count()));
  return text;
}

JsonLine::JsonLine(std::string_view log_name) {
  text_.reserve(256);
  text_ = "{\"time\":\"";
  text_ += iso8601_now();
  text_ += "\",\"log\":";
  append_json_string(text_, log_name);
}

void JsonLine::key(std::string_view name) {
  text_.push_back(',');
  append_json_string(text_, name);
  text_.push_back(':');
}

JsonLine& JsonLine::field(std::string_view name, std::string_view value) {
  key(name);
  append_json_string(text_, value);
  return *this;
}

JsonLine& JsonLine::integer(std::string_view name, int64_t value) {
  key(name);
  char digits[24];
  auto result = std::to_chars(digits, digits + sizeof(digits), value);
  text_.append(digits, result.ptr);
  return *this;
}

JsonLine& JsonLine::unsigned_integer(std::string_view name, uint64_t value) {
  key(name);
  char digits[24];
  auto result = std::to_chars(digits, digits + sizeof(digits), value);
  text_.append(digits, result.ptr);
  return *this;
}

JsonLine& JsonLine::field(std::string_view name, double value) {
  key(name);
  char digits[32];
  int n = std::snprintf(digits, sizeof(digits), "%.3f", value);
  text_.append(digits, n);
  return *this;
}

JsonLine& JsonLine::field(std::string_view name, bool value) {
  key(name);
  text_ += value ? "true" : "false";
  return *this;
}

JsonLine& JsonLine::field(std::string_view name, const std::vector<std::string>& values) {
  key(name);
  text_.push_back('[');
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) text_.push_back(',');
    append_json_string(text_, values[i]);
  }
  text_.push_back(']');
  return *this;
}

JsonLine& JsonLine::raw_field(std::string_view name, std::string_view json) {
  key(name);
  text_.append(json);
  return *this;
}

std::string JsonLine::finish() {
  text_ += "}\n";
  return std::move(text_);
}

}  // namespace espd::log
