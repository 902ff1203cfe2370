// Writes a message head into an IoBuffer: the tail room is reserved once for the whole head and
// the pieces are copied straight in, instead of a reservation check per piece (IoBuffer::append).
#pragma once

#include <cstring>
#include <string_view>

#include "proxy/base/io_buffer.h"

namespace espd {

class HeadWriter {
 public:
  // `expected` is what the head will most likely take; if it takes more, more is reserved.
  HeadWriter(BufferPool& pool, IoBuffer& out, size_t expected) : pool_(pool), out_(out) {
    reserve(expected);
  }
  ~HeadWriter() { out_.commit(cursor_ - start_); }
  HeadWriter(const HeadWriter&) = delete;
  HeadWriter& operator=(const HeadWriter&) = delete;

  void put(std::string_view bytes) {
    if (bytes.size() > static_cast<size_t>(limit_ - cursor_)) grow(bytes.size());
    if (!bytes.empty()) std::memcpy(cursor_, bytes.data(), bytes.size());  // never from null
    cursor_ += bytes.size();
  }
  // A literal: its size is known at compile time, so the copy is a few moves.
  template <size_t N>
  void put(const char (&literal)[N]) {
    put(std::string_view(literal, N - 1));
  }

 private:
  void reserve(size_t n) {
    out_.reserve_tail(pool_, n);
    std::span<char> room = out_.writable();
    start_ = cursor_ = room.data();
    limit_ = room.data() + room.size();
  }
  void grow(size_t n) {
    out_.commit(cursor_ - start_);
    reserve(n);
  }

  BufferPool& pool_;
  IoBuffer& out_;
  char* start_ = nullptr;
  char* cursor_ = nullptr;
  char* limit_ = nullptr;
};

}  // namespace espd
