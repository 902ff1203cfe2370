// Keeps freed blocks of one size for reuse by the same thread, so objects created and deleted for
// every request (the exchange) cost no malloc/free once the loop has warmed up.
#pragma once

#include <cstddef>
#include <new>
#include <vector>

namespace espd {

// At most `max_kept` blocks are kept; beyond that they go back to the allocator. Not thread-safe:
// one per thread (thread_local). Under AddressSanitizer nothing is kept, so that a use after free
// is still reported.
class BlockRecycler {
 public:
  BlockRecycler(size_t block_size, size_t max_kept)
      : block_size_(block_size), max_kept_(kSanitized ? 0 : max_kept) {}
  ~BlockRecycler() {
    for (void* block : kept_)
      ::operator delete(block);
  }
  BlockRecycler(const BlockRecycler&) = delete;
  BlockRecycler& operator=(const BlockRecycler&) = delete;

  void* take(size_t size) {
    if (size != block_size_ || kept_.empty()) return ::operator new(size);
    void* block = kept_.back();
    kept_.pop_back();
    return block;
  }

  void give(void* block, size_t size) {
    if (size != block_size_ || kept_.size() >= max_kept_) {
      ::operator delete(block);
      return;
    }
    if (kept_.capacity() == 0) kept_.reserve(max_kept_);
    kept_.push_back(block);
  }

  size_t kept() const { return kept_.size(); }

 private:
#if defined(__SANITIZE_ADDRESS__)
  static constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
  static constexpr bool kSanitized = true;
#else
  static constexpr bool kSanitized = false;
#endif
#else
  static constexpr bool kSanitized = false;
#endif

  size_t block_size_;
  size_t max_kept_;
  std::vector<void*> kept_;
};

}  // namespace espd
