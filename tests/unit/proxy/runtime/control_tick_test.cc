// Unit tests for when the control thread next wakes up.
#include "proxy/runtime/control_tick.h"

#include <catch2/catch.hpp>

using espd::runtime::control_tick_delay_ms;
using espd::runtime::kShutdownPollMs;

TEST_CASE("the control thread sleeps until the next expiry check or ticket rotation") {
  constexpr uint64_t kNow = 1'000'000;
  // The earlier of the two deadlines decides.
  CHECK(control_tick_delay_ms(kNow, false, kNow + 3'600'000, kNow + 43'200'000) == 3'600'000);
  CHECK(control_tick_delay_ms(kNow, false, kNow + 3'600'000, kNow + 1'000) == 1'000);
  // Due now or overdue: at once.
  CHECK(control_tick_delay_ms(kNow, false, kNow, kNow + 1'000) == 0);
  CHECK(control_tick_delay_ms(kNow, false, 0, kNow + 1'000) == 0);
}

TEST_CASE("while shutting down the control thread polls the workers") {
  CHECK(control_tick_delay_ms(5'000, true, 3'600'000, 43'200'000) == kShutdownPollMs);
  CHECK(control_tick_delay_ms(5'000, true, 0, 0) == kShutdownPollMs);
}
