// Bytes that must wait, held in a chain of pooled blocks and given back block by block.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "proxy/base/buffer_pool.h"

namespace espd {

// For data with no single producer/consumer rhythm, such as an HTTP/2 stream's body waiting for
// flow-control window in either direction: appending never moves what is already held, memory
// grows one pooled block at a time, and an empty chain holds nothing (no block, no allocation).
class ChainBuffer {
 public:
  ChainBuffer() = default;
  ~ChainBuffer() { reset(); }
  ChainBuffer(const ChainBuffer&) = delete;
  ChainBuffer& operator=(const ChainBuffer&) = delete;

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }

  // Copies `bytes` in, taking blocks from `pool` as needed.
  void append(BufferPool& pool, std::string_view bytes);
  // The first contiguous run of bytes (empty when the chain is).
  std::string_view front() const;
  // Copies up to `length` bytes out (across blocks) and consumes them; returns how many.
  size_t read(char* out, size_t length);
  // Drops the first `n` bytes (at most size()); emptied blocks go back to the pool.
  void consume(size_t n);
  // Drops everything.
  void reset();

 private:
  struct Block {
    char* data;
    uint32_t begin;
    uint32_t end;
  };

  BufferPool* pool_ = nullptr;
  std::vector<Block> blocks_;  // in order; only the last one has tail room
  size_t size_ = 0;
};

}  // namespace espd
