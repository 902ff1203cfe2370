// Unit tests for writing a head through one reservation of an IoBuffer's tail room.
#include "proxy/base/head_writer.h"

#include <catch2/catch.hpp>
#include <string>

using namespace espd;

TEST_CASE("pieces land after what the buffer held, committed when the writer ends") {
  BufferPool pool;
  IoBuffer out;
  out.append(pool, "before|");
  {
    HeadWriter writer(pool, out, 64);
    writer.put("GET ");
    writer.put(std::string_view("/x"));
    writer.put(std::string_view());
    writer.put(" HTTP/1.1\r\n");
  }
  CHECK(out.readable() == "before|GET /x HTTP/1.1\r\n");
}

TEST_CASE("a head beyond the expected size grows the buffer and loses nothing") {
  BufferPool pool;
  IoBuffer out;
  std::string big(3 * BufferPool::kBlockSize, 'b');
  {
    HeadWriter writer(pool, out, 4);
    writer.put("abc");
    writer.put("defg");
    writer.put(big);  // beyond the first block: more is reserved
    writer.put("\r\n");
  }
  CHECK(out.readable() == "abcdefg" + big + "\r\n");
}
