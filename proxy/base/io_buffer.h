// A byte buffer backed by a pooled block, holding nothing while empty.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "proxy/base/buffer_pool.h"

namespace espd {

// Readable bytes are [begin, end); writable space is [end, capacity). The block comes from the
// worker's BufferPool; a buffer that must hold more than one block (a large request head) moves
// to a heap allocation of the needed size and goes back to a pool block when released.
class IoBuffer {
 public:
  IoBuffer() = default;
  ~IoBuffer();
  IoBuffer(const IoBuffer&) = delete;
  IoBuffer& operator=(const IoBuffer&) = delete;

  bool allocated() const { return data_ != nullptr; }
  bool empty() const { return begin_ == end_; }
  size_t size() const { return end_ - begin_; }
  size_t capacity() const { return capacity_; }
  size_t tail_room() const { return capacity_ - end_; }

  std::string_view readable() const { return {data_ + begin_, end_ - begin_}; }
  const char* data() const { return data_ + begin_; }

  // Ensures a block is attached (and, if `pool` is new, remembers it).
  void ensure(BufferPool& pool);
  // Makes at least `n` bytes of tail room, compacting and growing (up to n + size()) as needed.
  void reserve_tail(BufferPool& pool, size_t n);
  std::span<char> writable() { return {data_ + end_, capacity_ - end_}; }
  void commit(size_t n) { end_ += n; }
  void consume(size_t n);
  void append(BufferPool& pool, std::string_view bytes);
  // Moves the readable bytes to the start of the block.
  void compact();
  // Returns the block to the pool if the buffer is empty; returns whether it did.
  bool release_if_empty();
  // Drops the contents and returns the block.
  void reset();

 private:
  void release_block();

  char* data_ = nullptr;
  BufferPool* pool_ = nullptr;
  uint32_t capacity_ = 0;
  uint32_t begin_ = 0;
  uint32_t end_ = 0;
};

}  // namespace espd
