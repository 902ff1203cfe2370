// What nghttp2 allocates for one HTTP/2 session, with the large blocks it keeps for the life of
// the session (its 16 KiB frame buffer) made of pages that are handed back to the kernel while
// the connection is idle: an idle HTTP/2 connection then costs about what an idle HTTP/1.1 one
// does, although nghttp2 never frees that buffer itself.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <vector>

namespace espd::http2 {

class SessionMemory {
 public:
  SessionMemory();
  ~SessionMemory();
  SessionMemory(const SessionMemory&) = delete;
  SessionMemory& operator=(const SessionMemory&) = delete;

  // For nghttp2_session_server_new3(); valid as long as this object.
  nghttp2_mem* allocator() { return &mem_; }

  // The connection is idle (nothing to send): the frame buffer's contents are not needed (nghttp2
  // writes each frame afresh), so its pages are released; touching them again maps zeroed pages.
  void release_idle_pages();

  size_t heap_bytes() const { return heap_bytes_; }  // malloc'ed (usable size)
  size_t frame_buffer_bytes() const;                 // page-backed, as mapped (resident or not)

  // nghttp2's frame buffer: one 9-byte frame header, a padding byte and a 16 KiB payload
  // (NGHTTP2_FRAMEBUF_CHUNKLEN in nghttp2_session.h); only blocks of exactly this size, which
  // hold nothing between frames, are page-backed. A unit test checks nghttp2 still asks for it.
  static constexpr size_t kFrameBufferSize = 9 + 1 + 16384;

 private:
  struct Large {
    void* address;
    size_t length;  // mapped length (whole pages)
  };
  static void* allocate(size_t size, void* self);
  static void release(void* pointer, void* self);
  static void* allocate_zeroed(size_t count, size_t size, void* self);
  static void* reallocate(void* pointer, size_t size, void* self);
  void* map(size_t size);
  Large* find(void* pointer);

  nghttp2_mem mem_;
  std::vector<Large> large_;  // the frame buffers (one per session in practice)
  size_t heap_bytes_ = 0;
};

}  // namespace espd::http2
