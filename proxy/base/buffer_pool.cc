// Per-worker free list of fixed-size I/O blocks.
#include "proxy/base/buffer_pool.h"

namespace espd {

BufferPool::~BufferPool() {
  for (char* block : free_)
    delete[] block;
}

char* BufferPool::acquire() {
  ++in_use_;
  if (free_.empty()) return new char[kBlockSize];
  char* block = free_.back();
  free_.pop_back();
  return block;
}

void BufferPool::release(char* block) {
  --in_use_;
  if (free_.size() < max_free_) {
    free_.push_back(block);
  } else {
    delete[] block;
  }
}

}  // namespace espd
