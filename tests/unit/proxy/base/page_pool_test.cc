// Unit tests for PagePool on real mappings: blocks come zero-filled, hold no memory once given
// back, are reused, and many blocks share one mapping.
#include "proxy/base/page_pool.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <vector>

using espd::base::PagePool;

namespace {

size_t resident_pages(void* address, size_t length) {
  std::vector<unsigned char> map((length + PagePool::page_size() - 1) / PagePool::page_size());
  REQUIRE(mincore(address, length, map.data()) == 0);
  return static_cast<size_t>(
      std::count_if(map.begin(), map.end(), [](unsigned char b) { return (b & 1) != 0; }));
}

}  // namespace

TEST_CASE("page pool blocks are whole pages, zero-filled, and hold nothing once given back") {
  PagePool pool(9 + 1 + 16384, 4);
  size_t page = PagePool::page_size();
  CHECK(pool.block_bytes() % page == 0);
  CHECK(pool.block_bytes() >= 16394);
  auto* block = static_cast<char*>(pool.take());
  REQUIRE(block != nullptr);
  CHECK(reinterpret_cast<uintptr_t>(block) % page == 0);
  CHECK(std::all_of(block, block + pool.block_bytes(), [](char c) { return c == 0; }));
  std::memset(block, 'x', pool.block_bytes());
  CHECK(resident_pages(block, pool.block_bytes()) == pool.block_bytes() / page);
  CHECK(pool.blocks_in_use() == 1);
  pool.give(block);
  CHECK(pool.blocks_in_use() == 0);
  CHECK(resident_pages(block, pool.block_bytes()) == 0);
  // Reused, and zero-filled again.
  auto* again = static_cast<char*>(pool.take());
  CHECK(again == block);
  CHECK(std::all_of(again, again + pool.block_bytes(), [](char c) { return c == 0; }));
  pool.give(again);
}

TEST_CASE("page pool maps many blocks at a time") {
  PagePool pool(4096, 8);
  std::vector<void*> blocks;
  for (int i = 0; i < 20; ++i) {
    blocks.push_back(pool.take());
    REQUIRE(blocks.back() != nullptr);
  }
  CHECK(pool.mappings() == 3);  // 8 + 8 + 4
  CHECK(pool.blocks_in_use() == 20);
  std::sort(blocks.begin(), blocks.end());
  CHECK(std::adjacent_find(blocks.begin(), blocks.end()) == blocks.end());  // all distinct
  for (void* block : blocks)
    pool.give(block);
  for (void*& block : blocks)
    block = pool.take();
  CHECK(pool.mappings() == 3);  // given-back blocks were taken again, nothing new mapped
  for (void* block : blocks)
    pool.give(block);
}
