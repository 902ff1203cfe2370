// Unit tests for the bounded multi-producer log queue.
#include "proxy/log/bounded_queue.h"

#include <catch2/catch.hpp>
#include <set>
#include <thread>
#include <vector>

using espd::log::BoundedQueue;

TEST_CASE("the queue refuses records when full and keeps order") {
  BoundedQueue queue(4);
  for (int i = 0; i < 4; ++i)
    CHECK(queue.push(std::to_string(i)));
  CHECK_FALSE(queue.push("overflow"));
  std::string value;
  for (int i = 0; i < 4; ++i) {
    REQUIRE(queue.pop(value));
    CHECK(value == std::to_string(i));
  }
  CHECK_FALSE(queue.pop(value));
  CHECK(queue.push("again"));
}

TEST_CASE("has_record says whether pop would return a record") {
  BoundedQueue queue(4);
  CHECK_FALSE(queue.has_record());
  CHECK(queue.push("a"));
  CHECK(queue.has_record());
  std::string value;
  REQUIRE(queue.pop(value));
  CHECK_FALSE(queue.has_record());
  for (int i = 0; i < 4; ++i)  // around the ring
    CHECK(queue.push(std::to_string(i)));
  for (int i = 0; i < 4; ++i) {
    CHECK(queue.has_record());
    REQUIRE(queue.pop(value));
  }
  CHECK_FALSE(queue.has_record());
}

TEST_CASE("records from several producer threads all arrive exactly once") {
  BoundedQueue queue(1 << 16);
  constexpr int kThreads = 4, kPerThread = 5000;
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&queue, t] {
      for (int i = 0; i < kPerThread; ++i) {
        while (!queue.push(std::to_string(t * kPerThread + i)))
          std::this_thread::yield();
      }
    });
  }
  for (auto& p : producers)
    p.join();
  std::set<std::string> seen;
  std::string value;
  while (queue.pop(value))
    seen.insert(value);
  CHECK(seen.size() == kThreads * kPerThread);
}
