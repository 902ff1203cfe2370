// Unit tests for the per-thread recycler of freed blocks (exchanges).
#include "proxy/base/block_recycler.h"

#include <catch2/catch.hpp>

using espd::BlockRecycler;

TEST_CASE("a freed block of the right size is handed out again, at most max_kept are kept") {
  BlockRecycler recycler(64, 2);
  void* a = recycler.take(64);
  void* b = recycler.take(64);
  void* c = recycler.take(64);
  recycler.give(a, 64);
  recycler.give(b, 64);
  recycler.give(c, 64);  // beyond max_kept: freed
  CHECK(recycler.kept() <= 2);
  size_t kept = recycler.kept();
  void* again = recycler.take(64);
  if (kept > 0) {  // nothing is kept in sanitizer builds
    CHECK((again == a || again == b));
    CHECK(recycler.kept() == kept - 1);
  }
  recycler.give(again, 64);
}

TEST_CASE("blocks of another size are never kept") {
  BlockRecycler recycler(64, 4);
  void* other = recycler.take(128);
  recycler.give(other, 128);
  CHECK(recycler.kept() == 0);
}
