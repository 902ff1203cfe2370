// Unit tests for nghttp2's allocations per session: the frame buffer it keeps for the life of the
// session is the one block that is page-backed, and its pages go back to the kernel when idle.
#include "proxy/http2/session_memory.h"

#include <nghttp2/nghttp2.h>
#include <sys/mman.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstring>
#include <vector>

using espd::http2::SessionMemory;

namespace {

size_t resident_pages(void* address, size_t length) {
  long page = sysconf(_SC_PAGESIZE);
  std::vector<unsigned char> map((length + page - 1) / page);
  REQUIRE(mincore(address, length, map.data()) == 0);
  size_t resident = 0;
  for (unsigned char bit : map)
    resident += bit & 1;
  return resident;
}

}  // namespace

TEST_CASE("nghttp2 asks for exactly one frame buffer of the expected size per session") {
  SessionMemory memory;
  nghttp2_session_callbacks* callbacks = nullptr;
  REQUIRE(nghttp2_session_callbacks_new(&callbacks) == 0);
  nghttp2_session* session = nullptr;
  REQUIRE(nghttp2_session_server_new3(&session, callbacks, nullptr, nullptr, memory.allocator()) ==
          0);
  long page = sysconf(_SC_PAGESIZE);
  size_t mapped = (SessionMemory::kFrameBufferSize + page - 1) / page * page;
  // If a new nghttp2 changes its frame buffer, this fails and the constant must follow.
  CHECK(memory.frame_buffer_bytes() == mapped);
  CHECK(memory.heap_bytes() > 0);
  CHECK(memory.heap_bytes() < 16384);
  // The session works on top of it: SETTINGS go out.
  REQUIRE(nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, nullptr, 0) == 0);
  const uint8_t* data = nullptr;
  CHECK(nghttp2_session_mem_send(session, &data) == 9);
  nghttp2_session_del(session);
  nghttp2_session_callbacks_del(callbacks);
  CHECK(memory.frame_buffer_bytes() == 0);
  CHECK(memory.heap_bytes() == 0);
}

TEST_CASE("released frame-buffer pages are not resident until touched again") {
  SessionMemory memory;
  nghttp2_mem* mem = memory.allocator();
  size_t size = SessionMemory::kFrameBufferSize;
  auto* block = static_cast<char*>(mem->malloc(size, mem->mem_user_data));
  REQUIRE(block != nullptr);
  std::memset(block, 'x', size);
  size_t length = memory.frame_buffer_bytes();
  CHECK(resident_pages(block, length) == length / sysconf(_SC_PAGESIZE));
  memory.release_idle_pages();
  CHECK(resident_pages(block, length) == 0);
  block[0] = 'y';  // usable again: a zeroed page comes back
  CHECK(block[1] == 0);
  mem->free(block, mem->mem_user_data);
  CHECK(memory.frame_buffer_bytes() == 0);
}

TEST_CASE("small blocks come from the heap and are counted; realloc keeps the contents") {
  SessionMemory memory;
  nghttp2_mem* mem = memory.allocator();
  auto* a = static_cast<char*>(mem->calloc(10, 10, mem->mem_user_data));
  REQUIRE(a != nullptr);
  CHECK(a[99] == 0);
  CHECK(memory.heap_bytes() >= 100);
  std::memcpy(a, "hello", 5);
  auto* b = static_cast<char*>(mem->realloc(a, 4000, mem->mem_user_data));
  REQUIRE(b != nullptr);
  CHECK(std::memcmp(b, "hello", 5) == 0);
  CHECK(memory.heap_bytes() >= 4000);
  mem->free(b, mem->mem_user_data);
  CHECK(memory.heap_bytes() == 0);
}
