// Per-worker free list of fixed-size I/O blocks, so the data path does not allocate per request.
#pragma once

#include <cstddef>
#include <vector>

namespace espd {

// Not thread-safe: one pool per worker thread. A connection takes blocks only while it has bytes
// to hold and gives them back as soon as it is idle, so an idle connection holds none.
class BufferPool {
 public:
  static constexpr size_t kBlockSize = 16384;

  explicit BufferPool(size_t max_free_blocks = 4096) : max_free_(max_free_blocks) {}
  ~BufferPool();
  BufferPool(const BufferPool&) = delete;
  BufferPool& operator=(const BufferPool&) = delete;

  char* acquire();
  void release(char* block);

  size_t free_blocks() const { return free_.size(); }
  size_t blocks_in_use() const { return in_use_; }

 private:
  std::vector<char*> free_;
  size_t max_free_;
  size_t in_use_ = 0;
};

}  // namespace espd
