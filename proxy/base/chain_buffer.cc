// Bytes that must wait, held in a chain of pooled blocks.
#include "proxy/base/chain_buffer.h"

#include <algorithm>
#include <cstring>

namespace espd {

void ChainBuffer::append(BufferPool& pool, std::string_view bytes) {
  pool_ = &pool;
  while (!bytes.empty()) {
    if (blocks_.empty() || blocks_.back().end == BufferPool::kBlockSize) {
      blocks_.push_back(Block{pool.acquire(), 0, 0});
    }
    Block& last = blocks_.back();
    size_t n = std::min<size_t>(bytes.size(), BufferPool::kBlockSize - last.end);
    std::memcpy(last.data + last.end, bytes.data(), n);
    last.end += static_cast<uint32_t>(n);
    size_ += n;
    bytes.remove_prefix(n);
  }
}

std::string_view ChainBuffer::front() const {
  if (blocks_.empty()) return {};
  const Block& first = blocks_.front();
  return {first.data + first.begin, first.end - first.begin};
}

size_t ChainBuffer::read(char* out, size_t length) {
  size_t copied = 0;
  while (copied < length && !blocks_.empty()) {
    std::string_view run = front();
    size_t n = std::min(run.size(), length - copied);
    std::memcpy(out + copied, run.data(), n);
    copied += n;
    consume(n);
  }
  return copied;
}

void ChainBuffer::consume(size_t n) {
  n = std::min(n, size_);
  size_ -= n;
  while (n > 0) {
    Block& first = blocks_.front();
    size_t available = first.end - first.begin;
    if (n < available) {
      first.begin += static_cast<uint32_t>(n);
      return;
    }
    n -= available;
    pool_->release(first.data);
    blocks_.erase(blocks_.begin());
  }
  // A fully read first block that is also the last one: keep nothing while empty.
  if (size_ == 0 && !blocks_.empty()) reset();
}

void ChainBuffer::reset() {
  for (Block& block : blocks_)
    pool_->release(block.data);
  blocks_.clear();
  blocks_.shrink_to_fit();
  size_ = 0;
}

}  // namespace espd
