// What nghttp2 allocates for one HTTP/2 session; blocks it keeps for the session's life are
// page-backed and released to the kernel while idle.
#include "proxy/http2/session_memory.h"

#include <malloc.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace espd::http2 {
namespace {

// Per worker thread: sessions live and die on the thread that created them.
base::PagePool& frame_buffer_pool() {
  thread_local base::PagePool pool(SessionMemory::kFrameBufferSize);
  return pool;
}

base::PagePool& stream_map_pool() {
  thread_local base::PagePool pool(SessionMemory::kStreamMapTableSize);
  return pool;
}

bool all_zero(const void* address, size_t length) {
  const auto* words = static_cast<const uint64_t*>(address);
  return std::all_of(words, words + length / sizeof(uint64_t), [](uint64_t w) { return w == 0; });
}

}  // namespace

SessionMemory::SessionMemory() {
  mem_.mem_user_data = this;
  mem_.malloc = &SessionMemory::allocate;
  mem_.free = &SessionMemory::release;
  mem_.calloc = &SessionMemory::allocate_zeroed;
  mem_.realloc = &SessionMemory::reallocate;
}

SessionMemory::~SessionMemory() {
  for (const PageBlock& block : pages_)
    block.pool->give(block.address);
}

// The page-backed block for `size`, or nullptr when `size` is not one of them (or no memory).
void* SessionMemory::take_pages(size_t size) {
  base::PagePool* pool = nullptr;
  bool only_if_zero = false;
  if (size == kFrameBufferSize) {
    pool = &frame_buffer_pool();
  } else if (size == kStreamMapTableSize && size == base::PagePool::page_size()) {
    pool = &stream_map_pool();
    only_if_zero = true;
  } else {
    return nullptr;
  }
  void* address = pool->take();
  if (address) pages_.push_back(PageBlock{address, pool, only_if_zero});
  return address;
}

SessionMemory::PageBlock* SessionMemory::find(void* pointer) {
  for (PageBlock& block : pages_) {
    if (block.address == pointer) return &block;
  }
  return nullptr;
}

void* SessionMemory::allocate(size_t size, void* self) {
  auto* memory = static_cast<SessionMemory*>(self);
  if (void* pages = memory->take_pages(size)) return pages;
  void* pointer = std::malloc(size);
  if (pointer) memory->heap_bytes_ += malloc_usable_size(pointer);
  return pointer;
}

void SessionMemory::release(void* pointer, void* self) {
  if (!pointer) return;
  auto* memory = static_cast<SessionMemory*>(self);
  if (PageBlock* block = memory->find(pointer)) {
    block->pool->give(block->address);
    *block = memory->pages_.back();
    memory->pages_.pop_back();
    return;
  }
  memory->heap_bytes_ -= malloc_usable_size(pointer);
  std::free(pointer);
}

void* SessionMemory::allocate_zeroed(size_t count, size_t size, void* self) {
  if (size != 0 && count > SIZE_MAX / size) return nullptr;
  size_t total = count * size;
  auto* memory = static_cast<SessionMemory*>(self);
  // Page-backed blocks are zero-filled already (fresh, or released when given back).
  if (void* pages = memory->take_pages(total)) return pages;
  void* pointer = allocate(total, self);
  if (pointer) std::memset(pointer, 0, total);
  return pointer;
}

void* SessionMemory::reallocate(void* pointer, size_t size, void* self) {
  auto* memory = static_cast<SessionMemory*>(self);
  if (!pointer) return allocate(size, self);
  PageBlock* block = memory->find(pointer);
  if (!block && size != kFrameBufferSize && size != kStreamMapTableSize) {
    size_t before = malloc_usable_size(pointer);
    void* moved = std::realloc(pointer, size);
    if (moved) memory->heap_bytes_ = memory->heap_bytes_ - before + malloc_usable_size(moved);
    return moved;
  }
  // Into or out of page-backed memory: allocate, copy what fits, release the old block.
  size_t old_size = block ? block->pool->block_bytes() : malloc_usable_size(pointer);
  void* moved = allocate(size, self);
  if (!moved) return nullptr;
  std::memcpy(moved, pointer, std::min(old_size, size));
  release(pointer, self);
  return moved;
}

void SessionMemory::release_idle_pages() {
  for (const PageBlock& block : pages_) {
    size_t length = block.pool->block_bytes();
    if (block.release_only_if_zero && !all_zero(block.address, length)) continue;
    base::PagePool::release_pages(block.address, length);
  }
}

size_t SessionMemory::page_backed_bytes() const {
  size_t total = 0;
  for (const PageBlock& block : pages_)
    total += block.pool->block_bytes();
  return total;
}

}  // namespace espd::http2
