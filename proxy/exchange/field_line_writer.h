// Writes the field lines of a parsed HTTP/1.1 head that are forwarded, copying runs of adjacent
// received lines in one piece when they are already written the way espd writes them.
#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include "proxy/base/head_writer.h"
#include "proxy/http1/message.h"

namespace espd::exchange {

// Output is byte for byte what writing "name: value\r\n" for every kept field gives: a received
// line is copied only if it is exactly that ("Name: value\r\n", one space, no trailing
// whitespace). `field_lines` is the head's received field section (RequestHead::field_lines);
// fields that do not point into it (built by hand, from HTTP/2) are written piece by piece.
class FieldLineWriter {
 public:
  FieldLineWriter(HeadWriter& out, std::string_view field_lines)
      : out_(out),
        lines_begin_(field_lines.data()),
        lines_end_(field_lines.data() + field_lines.size()) {}
  ~FieldLineWriter() { flush(); }
  FieldLineWriter(const FieldLineWriter&) = delete;
  FieldLineWriter& operator=(const FieldLineWriter&) = delete;

  void keep(const http1::Header& field) {
    if (run_end_ != nullptr && field.name.data() == run_end_ && is_received_line(field)) {
      run_end_ += line_size(field);
      return;
    }
    flush();
    if (is_received_line(field)) {
      run_begin_ = field.name.data();
      run_end_ = run_begin_ + line_size(field);
      return;
    }
    out_.put(field.name);
    out_.put(": ");
    out_.put(field.value);
    out_.put("\r\n");
  }

  // Writes the pending run; call before writing anything after the fields.
  void flush() {
    if (run_end_ == nullptr) return;
    out_.put(std::string_view(run_begin_, run_end_ - run_begin_));
    run_begin_ = run_end_ = nullptr;
  }

 private:
  static size_t line_size(const http1::Header& field) {
    return field.name.size() + 2 + field.value.size() + 2;
  }

  // Whether `field` is a line of the received section written as "name: value\r\n".
  bool is_received_line(const http1::Header& field) const {
    const char* line = field.name.data();
    // std::less: a total order even for pointers into different objects.
    if (std::less<const char*>()(line, lines_begin_) ||
        !std::less<const char*>()(line, lines_end_)) {
      return false;
    }
    size_t size = line_size(field);
    if (size > static_cast<size_t>(lines_end_ - line)) return false;
    size_t colon = field.name.size();
    return field.value.data() == line + colon + 2 && line[colon] == ':' && line[colon + 1] == ' ' &&
           line[size - 2] == '\r' && line[size - 1] == '\n';
  }

  HeadWriter& out_;
  const char* lines_begin_;
  const char* lines_end_;
  const char* run_begin_ = nullptr;
  const char* run_end_ = nullptr;
};

// The size of all of `fields` written as "name: value\r\n": what forwarding them takes at most.
inline size_t field_lines_size(const std::vector<http1::Header>& fields) {
  size_t size = 0;
  for (const http1::Header& field : fields)
    size += field.name.size() + field.value.size() + 4;
  return size;
}

}  // namespace espd::exchange
