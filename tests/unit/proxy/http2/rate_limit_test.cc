// Unit tests for the token bucket behind HTTP/2 flood protection.
#include "proxy/http2/rate_limit.h"

#include <catch2/catch.hpp>

using espd::http2::RateLimit;

TEST_CASE("a burst passes, the next event does not, and time refills the budget") {
  RateLimit limit(5, 10);  // 5 at once, then 10 a second
  uint64_t now = 1000;
  for (int i = 0; i < 5; ++i)
    CHECK(limit.allow(now));
  CHECK_FALSE(limit.allow(now));
  CHECK_FALSE(limit.allow(now + 99));  // not yet one token (one per 100 ms)
  CHECK(limit.allow(now + 100));
  CHECK_FALSE(limit.allow(now + 100));
  CHECK(limit.allow(now + 10000));  // refilled, but never above the burst
  for (int i = 0; i < 4; ++i)
    CHECK(limit.allow(now + 10000));
  CHECK_FALSE(limit.allow(now + 10000));
}

TEST_CASE("time that is not yet a whole token keeps counting") {
  RateLimit limit(1, 10);
  CHECK(limit.allow(0));
  CHECK_FALSE(limit.allow(60));
  CHECK(limit.allow(120));  // 120 ms since the last refill: one token, not lost to rounding
}

TEST_CASE("a sustained rate at the limit passes, above it does not") {
  RateLimit at_rate(10, 100);
  bool all = true;
  for (uint64_t t = 0; t < 10000; t += 10)
    all = all && at_rate.allow(t);  // 100 a second
  CHECK(all);
  RateLimit over(10, 100);
  int refused = 0;
  for (uint64_t t = 0; t < 10000; t += 5)
    refused += over.allow(t) ? 0 : 1;  // 200 a second
  CHECK(refused > 900);
}

TEST_CASE("credit gives events back up to the burst") {
  RateLimit limit(3, 1);
  for (int i = 0; i < 3; ++i)
    CHECK(limit.allow(0));
  CHECK_FALSE(limit.allow(0));
  limit.credit(100);
  for (int i = 0; i < 3; ++i)
    CHECK(limit.allow(0));
  CHECK_FALSE(limit.allow(0));
}
