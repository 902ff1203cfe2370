// Builds one log record as a single line of JSON, without allocation beyond the line itself.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace espd::log {

// Usage: JsonLine line("access"); line.field("status", 200).field("host", host); line.finish();
// Strings are escaped; bytes that are not valid UTF-8 (a client can send anything) are written as
// the text \xNN so the line stays valid JSON and the original bytes stay visible.
class JsonLine {
 public:
  explicit JsonLine(std::string_view log_name);

  JsonLine& field(std::string_view key, std::string_view value);
  JsonLine& field(std::string_view key, const char* value) {
    return field(key, std::string_view(value));
  }
  JsonLine& field(std::string_view key, const std::string& value) {
    return field(key, std::string_view(value));
  }
  template <typename T>
  requires std::is_integral_v<T> &&
      (!std::is_same_v<T, bool>)JsonLine& field(std::string_view key, T value) {
    if constexpr (std::is_signed_v<T>) {
      return integer(key, static_cast<int64_t>(value));
    } else {
      return unsigned_integer(key, static_cast<uint64_t>(value));
    }
  }
  JsonLine& field(std::string_view key, double value);
  JsonLine& field(std::string_view key, bool value);
  JsonLine& field(std::string_view key, const std::vector<std::string>& values);
  // Inserts already-valid JSON text as the value.
  JsonLine& raw_field(std::string_view key, std::string_view json);

  // Closes the object and appends '\n'; returns the line.
  std::string finish();

 private:
  JsonLine& integer(std::string_view key, int64_t value);
  JsonLine& unsigned_integer(std::string_view key, uint64_t value);
  void key(std::string_view name);
  std::string text_;
};

// Appends `value` to `out` as a JSON string literal (with quotes).
void append_json_string(std::string& out, std::string_view value);

// Current wall-clock time as "2026-11-22T23:10:00.123Z".
std::string iso8601_now();

}  // namespace espd::log
