// Blocks of whole pages whose contents can be handed back to the kernel (MADV_DONTNEED) while
// they are not needed, without unmapping them. Blocks are carved from mappings of many blocks
// each, so the number of mappings stays far below vm.max_map_count (65,530 by default) however
// many connections hold a block. One pool per worker thread; not thread-safe.
#pragma once

#include <cstddef>
#include <vector>

namespace espd::base {

class PagePool {
 public:
  // Blocks of `block_bytes` rounded up to whole pages; `blocks_per_mapping` blocks are mapped at
  // a time.
  explicit PagePool(size_t block_bytes, size_t blocks_per_mapping = 64);
  ~PagePool();
  PagePool(const PagePool&) = delete;
  PagePool& operator=(const PagePool&) = delete;

  // A zero-filled block (never touched, or released since), or nullptr when no memory can be
  // mapped.
  void* take();
  // Back to the pool: its pages are released at once, so a block in the pool holds no memory.
  void give(void* block);

  size_t block_bytes() const { return block_bytes_; }
  size_t blocks_in_use() const { return in_use_; }
  size_t mappings() const { return mappings_.size(); }

  static size_t page_size();
  // Hands the pages of [address, address + length) back to the kernel; reading them afterwards
  // gives zeros. address and length must be page-aligned.
  static void release_pages(void* address, size_t length);

 private:
  size_t block_bytes_;
  size_t blocks_per_mapping_;
  std::vector<void*> mappings_;
  std::vector<void*> free_;
  size_t in_use_ = 0;
};

}  // namespace espd::base
