// What nghttp2 allocates for one HTTP/2 session; large blocks released to the kernel when idle.
#include "proxy/http2/session_memory.h"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace espd::http2 {
namespace {

size_t page_size() {
  static const size_t size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return size;
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
  for (const Large& block : large_)
    munmap(block.address, block.length);
}

void* SessionMemory::map(size_t size) {
  size_t length = (size + page_size() - 1) / page_size() * page_size();
  void* address = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (address == MAP_FAILED) return nullptr;
  large_.push_back(Large{address, length});
  return address;
}

SessionMemory::Large* SessionMemory::find(void* pointer) {
  for (Large& block : large_) {
    if (block.address == pointer) return &block;
  }
  return nullptr;
}

void* SessionMemory::allocate(size_t size, void* self) {
  auto* memory = static_cast<SessionMemory*>(self);
  if (size == kFrameBufferSize) return memory->map(size);
  void* pointer = std::malloc(size);
  if (pointer) memory->heap_bytes_ += malloc_usable_size(pointer);
  return pointer;
}

void SessionMemory::release(void* pointer, void* self) {
  if (!pointer) return;
  auto* memory = static_cast<SessionMemory*>(self);
  if (Large* block = memory->find(pointer)) {
    munmap(block->address, block->length);
    *block = memory->large_.back();
    memory->large_.pop_back();
    return;
  }
  memory->heap_bytes_ -= malloc_usable_size(pointer);
  std::free(pointer);
}

void* SessionMemory::allocate_zeroed(size_t count, size_t size, void* self) {
  if (size != 0 && count > SIZE_MAX / size) return nullptr;
  size_t total = count * size;
  void* pointer = allocate(total, self);
  // Fresh mappings are already zero-filled.
  if (pointer && total != kFrameBufferSize) std::memset(pointer, 0, total);
  return pointer;
}

void* SessionMemory::reallocate(void* pointer, size_t size, void* self) {
  auto* memory = static_cast<SessionMemory*>(self);
  if (!pointer) return allocate(size, self);
  Large* block = memory->find(pointer);
  if (!block && size != kFrameBufferSize) {
    size_t before = malloc_usable_size(pointer);
    void* moved = std::realloc(pointer, size);
    if (moved) memory->heap_bytes_ = memory->heap_bytes_ - before + malloc_usable_size(moved);
    return moved;
  }
  // Into or within page-backed memory: allocate, copy what fits, release the old block.
  size_t old_size = block ? block->length : malloc_usable_size(pointer);
  void* moved = allocate(size, self);
  if (!moved) return nullptr;
  std::memcpy(moved, pointer, old_size < size ? old_size : size);
  release(pointer, self);
  return moved;
}

void SessionMemory::release_idle_pages() {
  for (const Large& block : large_)
    madvise(block.address, block.length, MADV_DONTNEED);
}

size_t SessionMemory::frame_buffer_bytes() const {
  size_t total = 0;
  for (const Large& block : large_)
    total += block.length;
  return total;
}

}  // namespace espd::http2
