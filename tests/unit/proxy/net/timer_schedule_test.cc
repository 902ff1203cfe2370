// Unit tests for the lazy re-arming decisions of connection timers.
#include "proxy/net/timer_schedule.h"

#include <catch2/catch.hpp>

using espd::net::TimerSchedule;
using Fire = TimerSchedule::Fire;

TEST_CASE("the first deadline arms the event for the time left") {
  TimerSchedule timer;
  CHECK_FALSE(timer.event_armed());
  auto delay = timer.set(1000 + 20000, 1000);
  REQUIRE(delay);
  CHECK(*delay == 20000);
  CHECK(timer.event_armed());
  CHECK(timer.has_deadline());
}

TEST_CASE("a later deadline or a cleared one leaves the armed event alone") {
  TimerSchedule timer;
  REQUIRE(timer.set(21000, 1000));
  CHECK_FALSE(timer.set(1801000, 1000));  // idle timeout after the header timeout: no re-arm
  CHECK_FALSE(timer.set(22000, 2000));    // the next request's header timeout
  timer.clear();
  CHECK_FALSE(timer.has_deadline());
  CHECK(timer.event_armed());
}

TEST_CASE("an earlier deadline re-arms at once") {
  TimerSchedule timer;
  REQUIRE(timer.set(1801000, 1000));
  auto delay = timer.set(25000, 5000);
  REQUIRE(delay);
  CHECK(*delay == 20000);
  auto now = timer.set(4000, 5000);  // already past: as soon as possible
  REQUIRE(now);
  CHECK(*now == 0);
}

TEST_CASE("an early fire re-arms for exactly what is left of the deadline") {
  TimerSchedule timer;
  REQUIRE(timer.set(21000, 1000));
  CHECK_FALSE(timer.set(1805000, 5000));
  uint64_t rearm = 0;
  CHECK(timer.fire(21000, rearm) == Fire::kRearm);
  CHECK(rearm == 1805000 - 21000);
  CHECK(timer.event_armed());
  CHECK(timer.fire(1805000, rearm) == Fire::kDue);
  CHECK_FALSE(timer.has_deadline());
  CHECK_FALSE(timer.event_armed());
}

TEST_CASE("a fire with no deadline does nothing, and a due fire clears the deadline") {
  TimerSchedule timer;
  REQUIRE(timer.set(21000, 1000));
  timer.clear();
  uint64_t rearm = 0;
  CHECK(timer.fire(21000, rearm) == Fire::kNothing);
  CHECK_FALSE(timer.event_armed());
  // Nothing armed now: the next deadline, however late, arms the event.
  auto delay = timer.set(1822000, 22000);
  REQUIRE(delay);
  CHECK(*delay == 1800000);
  CHECK(timer.fire(1822000, rearm) == Fire::kDue);
  uint64_t ignored = 0;
  CHECK(timer.fire(1822001, ignored) == Fire::kNothing);
}

TEST_CASE("a fire later than the deadline is due, never re-armed") {
  TimerSchedule timer;
  REQUIRE(timer.set(5000, 0));
  uint64_t rearm = 0;
  CHECK(timer.fire(5007, rearm) == Fire::kDue);
}

TEST_CASE("stopped forgets the armed event") {
  TimerSchedule timer;
  REQUIRE(timer.set(5000, 0));
  timer.stopped();
  CHECK_FALSE(timer.event_armed());
  CHECK(timer.set(9000, 1000));  // must arm again
}
