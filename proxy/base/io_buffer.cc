// A byte buffer backed by a pooled block.
#include "proxy/base/io_buffer.h"

#include <algorithm>

namespace espd {

IoBuffer::~IoBuffer() {
  release_block();
}

void IoBuffer::ensure(BufferPool& pool) {
  if (data_) return;
  pool_ = &pool;
  data_ = pool.acquire();
  capacity_ = BufferPool::kBlockSize;
  begin_ = end_ = 0;
}

void IoBuffer::reserve_tail(BufferPool& pool, size_t n) {
  ensure(pool);
  if (tail_room() >= n) return;
  if (begin_ > 0 && capacity_ - size() >= n) {
    compact();
    return;
  }
  size_t used = size();
  size_t new_capacity = std::max<size_t>(used + n, static_cast<size_t>(capacity_) * 2);
  char* bigger = new char[new_capacity];
  std::memcpy(bigger, data_ + begin_, used);
  release_block();  // resets the offsets: set them after
  data_ = bigger;
  capacity_ = static_cast<uint32_t>(new_capacity);
  begin_ = 0;
  end_ = static_cast<uint32_t>(used);
}

void IoBuffer::consume(size_t n) {
  begin_ += static_cast<uint32_t>(n);
  if (begin_ == end_) begin_ = end_ = 0;
}

void IoBuffer::append(BufferPool& pool, std::string_view bytes) {
  if (bytes.empty()) return;  // memcpy from an empty view's null pointer is undefined
  reserve_tail(pool, bytes.size());
  std::memcpy(data_ + end_, bytes.data(), bytes.size());
  end_ += static_cast<uint32_t>(bytes.size());
}

void IoBuffer::compact() {
  if (begin_ == 0) return;
  std::memmove(data_, data_ + begin_, size());
  end_ -= begin_;
  begin_ = 0;
}

bool IoBuffer::release_if_empty() {
  if (!data_ || !empty()) return false;
  release_block();
  return true;
}

void IoBuffer::reset() {
  release_block();
}

void IoBuffer::release_block() {
  if (!data_) return;
  if (capacity_ == BufferPool::kBlockSize) {
    pool_->release(data_);
  } else {
    delete[] data_;
  }
  data_ = nullptr;
  capacity_ = begin_ = end_ = 0;
}

}  // namespace espd
