// Unit tests for the chain of pooled blocks that holds bytes waiting for flow-control window.
#include "proxy/base/chain_buffer.h"

#include <catch2/catch.hpp>
#include <string>

using espd::BufferPool;
using espd::ChainBuffer;

namespace {

std::string numbered(size_t n) {
  std::string text(n, '\0');
  for (size_t i = 0; i < n; ++i)
    text[i] = static_cast<char>('a' + i % 23);
  return text;
}

}  // namespace

TEST_CASE("an empty chain holds no block") {
  BufferPool pool;
  ChainBuffer chain;
  CHECK(chain.empty());
  CHECK(chain.front().empty());
  chain.append(pool, "abc");
  CHECK(pool.blocks_in_use() == 1);
  chain.consume(3);
  CHECK(chain.empty());
  CHECK(pool.blocks_in_use() == 0);
}

TEST_CASE("bytes across several blocks come out in order and blocks go back one by one") {
  BufferPool pool;
  ChainBuffer chain;
  std::string data = numbered(3 * BufferPool::kBlockSize + 123);
  // Appended in uneven pieces that straddle block edges.
  for (size_t at = 0; at < data.size(); at += 5000)
    chain.append(pool, std::string_view(data).substr(at, 5000));
  CHECK(chain.size() == data.size());
  CHECK(pool.blocks_in_use() == 4);
  CHECK(chain.front().size() == BufferPool::kBlockSize);

  std::string out(10000, '\0');
  CHECK(chain.read(out.data(), out.size()) == 10000);
  CHECK(out == data.substr(0, 10000));
  CHECK(pool.blocks_in_use() == 4);

  out.assign(20000, '\0');
  CHECK(chain.read(out.data(), out.size()) == 20000);  // crosses into the second block
  CHECK(out == data.substr(10000, 20000));
  CHECK(pool.blocks_in_use() == 3);

  std::string rest;
  while (!chain.empty()) {
    std::string_view run = chain.front();
    rest.append(run.substr(0, 777));
    chain.consume(std::min<size_t>(run.size(), 777));
  }
  CHECK(rest == data.substr(30000));
  CHECK(pool.blocks_in_use() == 0);
}

TEST_CASE("reading more than is held returns what there is") {
  BufferPool pool;
  ChainBuffer chain;
  chain.append(pool, "hello");
  char out[16];
  CHECK(chain.read(out, sizeof(out)) == 5);
  CHECK(std::string_view(out, 5) == "hello");
  CHECK(chain.read(out, sizeof(out)) == 0);
  CHECK(pool.blocks_in_use() == 0);
}

TEST_CASE("reset gives every block back") {
  BufferPool pool;
  ChainBuffer chain;
  chain.append(pool, numbered(40000));
  CHECK(pool.blocks_in_use() == 3);
  chain.reset();
  CHECK(chain.empty());
  CHECK(pool.blocks_in_use() == 0);
}
