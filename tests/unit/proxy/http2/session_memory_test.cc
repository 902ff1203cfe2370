// Unit tests for nghttp2's allocations per session: the frame buffer and the stream map table it
// keeps for the life of the session are the page-backed blocks, and their pages go back to the
// kernel when idle (the table's only while it holds nothing).
#include "proxy/http2/session_memory.h"

#include <nghttp2/nghttp2.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
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
  if (page == static_cast<long>(SessionMemory::kStreamMapTableSize)) mapped += page;
  // If a new nghttp2 changes its frame buffer or its map's table, this fails and the constants
  // must follow.
  CHECK(memory.page_backed_bytes() == mapped);
  CHECK(memory.heap_bytes() > 0);
  CHECK(memory.heap_bytes() < 16384);
  // The session works on top of it: SETTINGS go out.
  REQUIRE(nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, nullptr, 0) == 0);
  const uint8_t* data = nullptr;
  CHECK(nghttp2_session_mem_send(session, &data) == 9);
  nghttp2_session_del(session);
  nghttp2_session_callbacks_del(callbacks);
  CHECK(memory.page_backed_bytes() == 0);
  CHECK(memory.heap_bytes() == 0);
}

TEST_CASE("released frame-buffer pages are not resident until touched again") {
  SessionMemory memory;
  nghttp2_mem* mem = memory.allocator();
  size_t size = SessionMemory::kFrameBufferSize;
  auto* block = static_cast<char*>(mem->malloc(size, mem->mem_user_data));
  REQUIRE(block != nullptr);
  std::memset(block, 'x', size);
  size_t length = memory.page_backed_bytes();
  CHECK(resident_pages(block, length) == length / sysconf(_SC_PAGESIZE));
  memory.release_idle_pages();
  CHECK(resident_pages(block, length) == 0);
  block[0] = 'y';  // usable again: a zeroed page comes back
  CHECK(block[1] == 0);
  mem->free(block, mem->mem_user_data);
  CHECK(memory.page_backed_bytes() == 0);
}

TEST_CASE("the stream map table is released while idle only if it holds nothing") {
  if (sysconf(_SC_PAGESIZE) != static_cast<long>(SessionMemory::kStreamMapTableSize)) return;
  SessionMemory memory;
  nghttp2_mem* mem = memory.allocator();
  size_t size = SessionMemory::kStreamMapTableSize;
  auto* table = static_cast<char*>(mem->calloc(256, 16, mem->mem_user_data));
  REQUIRE(table != nullptr);
  CHECK(memory.page_backed_bytes() == size);
  CHECK(table[0] == 0);
  CHECK(table[size - 1] == 0);
  table[100] = 7;  // a stream in the map
  memory.release_idle_pages();
  CHECK(resident_pages(table, size) == 1);
  CHECK(table[100] == 7);
  table[100] = 0;  // the map is empty again
  memory.release_idle_pages();
  CHECK(resident_pages(table, size) == 0);
  CHECK(table[100] == 0);
  mem->free(table, mem->mem_user_data);
  // The page goes back to the pool zero-filled: the next table starts empty.
  auto* next = static_cast<char*>(mem->calloc(256, 16, mem->mem_user_data));
  REQUIRE(next != nullptr);
  CHECK(std::all_of(next, next + size, [](char c) { return c == 0; }));
  mem->free(next, mem->mem_user_data);
}

namespace {

// Forwards to a SessionMemory and remembers where the page-backed blocks are.
struct RecordingAllocator {
  explicit RecordingAllocator(nghttp2_mem* forward_to) : inner(forward_to) {}
  RecordingAllocator(const RecordingAllocator&) = delete;  // mem points at this object

  nghttp2_mem* inner;
  std::vector<std::pair<void*, size_t>> page_backed;
  nghttp2_mem mem{this, &RecordingAllocator::allocate, &RecordingAllocator::release,
                  &RecordingAllocator::allocate_zeroed, &RecordingAllocator::reallocate};

  void note(void* pointer, size_t size) {
    if (pointer &&
        (size == SessionMemory::kFrameBufferSize || size == SessionMemory::kStreamMapTableSize))
      page_backed.emplace_back(pointer, size);
  }
  static void* allocate(size_t size, void* self) {
    auto* r = static_cast<RecordingAllocator*>(self);
    void* pointer = r->inner->malloc(size, r->inner->mem_user_data);
    r->note(pointer, size);
    return pointer;
  }
  static void release(void* pointer, void* self) {
    auto* r = static_cast<RecordingAllocator*>(self);
    std::erase_if(r->page_backed, [&](const auto& block) { return block.first == pointer; });
    r->inner->free(pointer, r->inner->mem_user_data);
  }
  static void* allocate_zeroed(size_t count, size_t size, void* self) {
    auto* r = static_cast<RecordingAllocator*>(self);
    void* pointer = r->inner->calloc(count, size, r->inner->mem_user_data);
    r->note(pointer, count * size);
    return pointer;
  }
  static void* reallocate(void* pointer, size_t size, void* self) {
    auto* r = static_cast<RecordingAllocator*>(self);
    std::erase_if(r->page_backed, [&](const auto& block) { return block.first == pointer; });
    void* moved = r->inner->realloc(pointer, size, r->inner->mem_user_data);
    r->note(moved, size);
    return moved;
  }
};

nghttp2_nv field(const char* name, const char* value) {
  return nghttp2_nv{reinterpret_cast<uint8_t*>(const_cast<char*>(name)),
                    reinterpret_cast<uint8_t*>(const_cast<char*>(value)), std::strlen(name),
                    std::strlen(value), NGHTTP2_NV_FLAG_NONE};
}

void pump(nghttp2_session* from, nghttp2_session* to) {
  const uint8_t* data = nullptr;
  for (ssize_t n; (n = nghttp2_session_mem_send(from, &data)) > 0;)
    REQUIRE(nghttp2_session_mem_recv(to, data, static_cast<size_t>(n)) == n);
}

}  // namespace

TEST_CASE("an idle session holds none of its page-backed memory after streams came and went") {
  SessionMemory memory;
  RecordingAllocator recording{memory.allocator()};
  nghttp2_session_callbacks* callbacks = nullptr;
  REQUIRE(nghttp2_session_callbacks_new(&callbacks) == 0);
  nghttp2_option* option = nullptr;
  REQUIRE(nghttp2_option_new(&option) == 0);
  nghttp2_option_set_no_closed_streams(option, 1);  // as espd runs its sessions
  nghttp2_session* server = nullptr;
  REQUIRE(nghttp2_session_server_new3(&server, callbacks, nullptr, option, &recording.mem) == 0);
  nghttp2_session* client = nullptr;
  REQUIRE(nghttp2_session_client_new(&client, callbacks, nullptr) == 0);
  REQUIRE(nghttp2_submit_settings(client, NGHTTP2_FLAG_NONE, nullptr, 0) == 0);
  REQUIRE(nghttp2_submit_settings(server, NGHTTP2_FLAG_NONE, nullptr, 0) == 0);
  nghttp2_nv request[] = {field(":method", "GET"), field(":scheme", "https"),
                          field(":path", "/meet/"), field(":authority", "meet.example")};
  std::vector<int32_t> streams;
  for (int i = 0; i < 10; ++i)
    streams.push_back(nghttp2_submit_request(client, nullptr, request, 4, nullptr, nullptr));
  pump(client, server);
  REQUIRE(nghttp2_session_find_stream(server, streams.back()) != nullptr);
  nghttp2_nv response[] = {field(":status", "204")};
  for (int32_t id : streams)
    REQUIRE(nghttp2_submit_response(server, id, response, 1, nullptr) == 0);
  pump(server, client);
  pump(client, server);
  REQUIRE(nghttp2_session_find_stream(server, streams.back()) == nullptr);  // all closed

  // The frame buffer and (where a page is 4 KiB) the map's table; both in use a moment ago.
  size_t expected = sysconf(_SC_PAGESIZE) == 4096 ? 2 : 1;
  REQUIRE(recording.page_backed.size() == expected);
  size_t touched = 0;
  for (const auto& [address, size] : recording.page_backed)
    touched += resident_pages(address, size);
  CHECK(touched >= expected);
  memory.release_idle_pages();
  for (const auto& [address, size] : recording.page_backed)
    CHECK(resident_pages(address, size) == 0);

  // And the session goes on: another request is served from zero-filled pages.
  int32_t again = nghttp2_submit_request(client, nullptr, request, 4, nullptr, nullptr);
  pump(client, server);
  REQUIRE(nghttp2_session_find_stream(server, again) != nullptr);
  REQUIRE(nghttp2_submit_response(server, again, response, 1, nullptr) == 0);
  pump(server, client);
  CHECK(nghttp2_session_find_stream(server, again) == nullptr);
  nghttp2_session_del(client);
  nghttp2_session_del(server);
  nghttp2_option_del(option);
  nghttp2_session_callbacks_del(callbacks);
  CHECK(recording.page_backed.empty());
}
