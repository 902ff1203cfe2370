// Operational records of the "espd" log stream: what the process itself is doing.
#pragma once

#include <string>
#include <string_view>

#include "proxy/log/json_line.h"
#include "proxy/log/log_writer.h"

namespace espd::log {

// Event(Level::kInfo, "config_reloaded").field("generation", 3).emit();
class Event {
 public:
  Event(Level level, std::string_view name);
  template <typename T>
  Event& field(std::string_view key, const T& value) {
    if (active_) line_.field(key, value);
    return *this;
  }
  void emit();

 private:
  bool active_;
  JsonLine line_;
};

// A record on one of the ESP streams (connection, access, security): starts the JSON line with
// the stream's "log" name; submit with LogWriter::instance().submit(stream, line.finish()).
inline JsonLine stream_record(Stream stream) {
  return JsonLine(stream_name(stream));
}

}  // namespace espd::log
