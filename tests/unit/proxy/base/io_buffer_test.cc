// Unit tests for pooled I/O buffers.
#include "proxy/base/io_buffer.h"

#include <catch2/catch.hpp>
#include <string>

using espd::BufferPool;
using espd::IoBuffer;

TEST_CASE("an empty buffer holds no block and gives it back when emptied") {
  BufferPool pool;
  IoBuffer buffer;
  CHECK_FALSE(buffer.allocated());
  buffer.append(pool, "hello");
  CHECK(pool.blocks_in_use() == 1);
  CHECK(buffer.readable() == "hello");
  buffer.consume(5);
  CHECK(buffer.release_if_empty());
  CHECK(pool.blocks_in_use() == 0);
  CHECK(pool.free_blocks() == 1);
}

TEST_CASE("a buffer grows past one block for a large head and compacts") {
  BufferPool pool;
  IoBuffer buffer;
  std::string big(BufferPool::kBlockSize + 100, 'x');
  buffer.append(pool, big);
  CHECK(buffer.size() == big.size());
  CHECK(pool.blocks_in_use() == 0);  // moved to a heap block of its own
  buffer.consume(big.size() - 3);
  buffer.compact();
  CHECK(buffer.readable() == "xxx");
  buffer.reset();
  CHECK_FALSE(buffer.allocated());
}

TEST_CASE("reserve_tail compacts before growing") {
  BufferPool pool;
  IoBuffer buffer;
  buffer.append(pool, std::string(BufferPool::kBlockSize - 10, 'a'));
  buffer.consume(BufferPool::kBlockSize - 20);
  buffer.reserve_tail(pool, 100);
  CHECK(buffer.tail_room() >= 100);
  CHECK(buffer.capacity() == BufferPool::kBlockSize);
  CHECK(buffer.readable() == std::string(10, 'a'));
}

TEST_CASE("growing a buffer that holds data keeps every byte (regression)") {
  BufferPool pool;
  IoBuffer buffer;
  std::string expected;
  for (int i = 0; i < 3000; ++i) {
    std::string piece = "field-" + std::to_string(i) + ": value\r\n";
    buffer.append(pool, piece);
    expected += piece;
  }
  REQUIRE(buffer.size() > 2 * BufferPool::kBlockSize);
  CHECK(buffer.readable() == expected);
  buffer.consume(10);
  buffer.reserve_tail(pool, 4 * BufferPool::kBlockSize);
  CHECK(buffer.readable() == std::string_view(expected).substr(10));
}
