// Page-backed blocks carved from shared mappings, released to the kernel while unused.
#include "proxy/base/page_pool.h"

#include <sys/mman.h>
#include <unistd.h>

namespace espd::base {

size_t PagePool::page_size() {
  static const size_t size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return size;
}

void PagePool::release_pages(void* address, size_t length) {
  madvise(address, length, MADV_DONTNEED);
}

PagePool::PagePool(size_t block_bytes, size_t blocks_per_mapping)
    : block_bytes_((block_bytes + page_size() - 1) / page_size() * page_size()),
      blocks_per_mapping_(blocks_per_mapping) {}

PagePool::~PagePool() {
  // A block still in use at thread exit (a session the thread never destroyed) keeps its mapping
  // alive: unmapping it would turn a leak into a use after free.
  if (in_use_ != 0) return;
  for (void* mapping : mappings_)
    munmap(mapping, block_bytes_ * blocks_per_mapping_);
}

void* PagePool::take() {
  if (free_.empty()) {
    size_t length = block_bytes_ * blocks_per_mapping_;
    void* mapping =
        mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapping == MAP_FAILED) return nullptr;
    mappings_.push_back(mapping);
    // Handed out from the lowest address up: the last block is taken last.
    for (size_t i = blocks_per_mapping_; i-- > 0;)
      free_.push_back(static_cast<char*>(mapping) + i * block_bytes_);
  }
  void* block = free_.back();
  free_.pop_back();
  ++in_use_;
  return block;
}

void PagePool::give(void* block) {
  release_pages(block, block_bytes_);
  free_.push_back(block);
  --in_use_;
}

}  // namespace espd::base
