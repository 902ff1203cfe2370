// Unit tests for the request-body pace: silence, minimum rate per period, restarts.
#include "proxy/client/request_body_pace.h"

#include <catch2/catch.hpp>

using espd::client::RequestBodyPace;
using Verdict = RequestBodyPace::Verdict;

TEST_CASE("a body that keeps coming is never judged before a period has passed") {
  RequestBodyPace pace(10000, 240);
  pace.restart(1000);
  CHECK(pace.next_check_ms() == 11000);
  pace.count(5, 2000);
  CHECK(pace.check(9000) == Verdict::kOk);
  CHECK(pace.next_check_ms() == 11000);
}

TEST_CASE("silence as long as the timeout stalls the body, whatever the rate") {
  RequestBodyPace pace(10000, 0);
  pace.restart(0);
  pace.count(1 << 20, 500);
  CHECK(pace.next_check_ms() == 10500);
  CHECK(pace.check(10499) == Verdict::kOk);
  CHECK(pace.check(10500) == Verdict::kStalled);
}

TEST_CASE("without a minimum rate, a byte just before each timeout keeps the body alive") {
  RequestBodyPace pace(10000, 0);
  pace.restart(0);
  for (uint64_t t = 9000; t < 100000; t += 9000) {
    pace.count(1, t);
    CHECK(pace.check(t + 8999) == Verdict::kOk);
  }
}

TEST_CASE("one byte at a time is too slow once a period is over") {
  RequestBodyPace pace(10000, 240);
  pace.restart(0);
  for (uint64_t t = 500; t < 10000; t += 500)
    pace.count(1, t);
  CHECK(pace.next_check_ms() == 10000);
  CHECK(pace.check(10000) == Verdict::kTooSlow);
}

TEST_CASE("exactly the minimum rate passes and opens the next period") {
  RequestBodyPace pace(10000, 240);
  pace.restart(0);
  pace.count(2400, 9999);
  CHECK(pace.check(10000) == Verdict::kOk);
  CHECK(pace.next_check_ms() == 19999);  // the silence deadline of the last byte comes first
  pace.count(2399, 19000);
  CHECK(pace.check(20000) == Verdict::kTooSlow);
}

TEST_CASE("a restart forgets the slow start (espd, not the client, was waiting)") {
  RequestBodyPace pace(10000, 240);
  pace.restart(0);
  pace.count(10, 100);
  pace.restart(9000);
  CHECK(pace.check(10000) == Verdict::kOk);
  CHECK(pace.next_check_ms() == 19000);
  CHECK(pace.check(19000) == Verdict::kStalled);
}
