// What nghttp2 allocates for one HTTP/2 session, with the blocks it keeps for the life of the
// session made of pages that are handed back to the kernel while the connection is idle: its
// 16 KiB frame buffer (which holds nothing between frames) and its stream map's 4 KiB table
// (all zeros when no stream is open). nghttp2 frees neither itself.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <vector>

#include "proxy/base/page_pool.h"

namespace espd::http2 {

// One per session; created, used and destroyed on one worker thread (its page-backed blocks come
// from that thread's pools).
class SessionMemory {
 public:
  SessionMemory();
  ~SessionMemory();
  SessionMemory(const SessionMemory&) = delete;
  SessionMemory& operator=(const SessionMemory&) = delete;

  // For nghttp2_session_server_new3(); valid as long as this object.
  nghttp2_mem* allocator() { return &mem_; }

  // The connection is idle (no stream open, nothing to send): the frame buffer's pages are
  // released (nghttp2 writes each frame afresh), and the stream map's table if it is all zeros
  // (an empty map); touching them again maps zeroed pages, which is what they held.
  void release_idle_pages();

  size_t heap_bytes() const { return heap_bytes_; }  // malloc'ed (usable size)
  size_t page_backed_bytes() const;                  // as mapped (resident or not)

  // nghttp2's frame buffer: one 9-byte frame header, a padding byte and a 16 KiB payload
  // (NGHTTP2_FRAMEBUF_CHUNKLEN in nghttp2_session.h). Unit tests check nghttp2 still asks for
  // blocks of exactly these sizes.
  static constexpr size_t kFrameBufferSize = 9 + 1 + 16384;
  // nghttp2_map's bucket table: 256 buckets of 16 bytes (nghttp2 1.52, map.c); page-backed only
  // where a page is this size.
  static constexpr size_t kStreamMapTableSize = 256 * 16;

 private:
  struct PageBlock {
    void* address;
    base::PagePool* pool;
    bool release_only_if_zero;  // holds state: released only while it holds nothing
  };
  static void* allocate(size_t size, void* self);
  static void release(void* pointer, void* self);
  static void* allocate_zeroed(size_t count, size_t size, void* self);
  static void* reallocate(void* pointer, size_t size, void* self);
  void* take_pages(size_t size);
  PageBlock* find(void* pointer);

  nghttp2_mem mem_;
  std::vector<PageBlock> pages_;  // two per session in practice
  size_t heap_bytes_ = 0;
};

}  // namespace espd::http2
