// Unit tests for the queue that releases idle connections' memory after a delay.
#include "proxy/base/idle_release_queue.h"

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

namespace {

// Records when it was asked to release; "busy" holders refuse, like a connection whose next
// request came in meanwhile.
struct Holder final : espd::IdleMemoryHolder {
  Holder(std::string n, std::vector<std::string>& log) : name(std::move(n)), released(log) {}
  void release_idle_memory() override {
    if (!busy) released.push_back(name);
  }
  std::string name;
  std::vector<std::string>& released;
  bool busy = false;
};

}  // namespace

TEST_CASE("holders are released in the order they went idle, each once its delay has passed") {
  std::vector<std::string> released;
  espd::IdleReleaseQueue queue;
  queue.set_limits(1000, 100);
  Holder a("a", released), b("b", released), c("c", released);
  CHECK(queue.next_due_ms() == espd::IdleReleaseQueue::kNone);
  CHECK(queue.went_idle(&a, 100));  // the first: the owner arms its timer
  CHECK_FALSE(queue.went_idle(&b, 300));
  CHECK_FALSE(queue.went_idle(&c, 700));
  CHECK(queue.next_due_ms() == 1100);
  CHECK(queue.release_due(1099) == 1100);
  CHECK(released.empty());
  CHECK(queue.release_due(1300) == 1700);
  CHECK(released == std::vector<std::string>{"a", "b"});
  CHECK(queue.size() == 1);
  CHECK(queue.release_due(5000) == espd::IdleReleaseQueue::kNone);
  CHECK(released == std::vector<std::string>{"a", "b", "c"});
  CHECK(queue.size() == 0);
}

TEST_CASE("a holder that goes idle again starts its delay again") {
  std::vector<std::string> released;
  espd::IdleReleaseQueue queue;
  queue.set_limits(1000, 100);
  Holder a("a", released), b("b", released);
  queue.went_idle(&a, 0);
  queue.went_idle(&b, 200);
  queue.went_idle(&a, 900);  // a's next request came and went: it moves behind b
  CHECK(queue.size() == 2);
  CHECK(queue.release_due(1500) == 1900);
  CHECK(released == std::vector<std::string>{"b"});
  CHECK(queue.release_due(1900) == espd::IdleReleaseQueue::kNone);
  CHECK(released == std::vector<std::string>{"b", "a"});
}

TEST_CASE("a holder busy when its delay ends keeps its memory and leaves the queue") {
  std::vector<std::string> released;
  espd::IdleReleaseQueue queue;
  queue.set_limits(50, 100);
  Holder a("a", released);
  queue.went_idle(&a, 0);
  a.busy = true;
  CHECK(queue.release_due(100) == espd::IdleReleaseQueue::kNone);
  CHECK(released.empty());
  CHECK(queue.size() == 0);
  a.busy = false;
  CHECK(queue.went_idle(&a, 200));  // idle again later: queued again
  queue.release_due(250);
  CHECK(released == std::vector<std::string>{"a"});
}

TEST_CASE("a delay of 0 or a bound of 0 releases at once and queues nothing") {
  std::vector<std::string> released;
  espd::IdleReleaseQueue queue;
  Holder a("a", released);
  queue.set_limits(0, 100);
  CHECK_FALSE(queue.went_idle(&a, 10));
  CHECK(released == std::vector<std::string>{"a"});
  queue.set_limits(1000, 0);
  CHECK_FALSE(queue.went_idle(&a, 20));
  CHECK(released == std::vector<std::string>{"a", "a"});
  CHECK(queue.size() == 0);
}

TEST_CASE("beyond the bound the holder idle longest releases at once") {
  std::vector<std::string> released;
  espd::IdleReleaseQueue queue;
  queue.set_limits(1000, 2);
  Holder a("a", released), b("b", released), c("c", released);
  queue.went_idle(&a, 0);
  queue.went_idle(&b, 1);
  CHECK(released.empty());
  queue.went_idle(&c, 2);
  CHECK(released == std::vector<std::string>{"a"});
  CHECK(queue.size() == 2);
  queue.went_idle(&b, 3);  // b again: no one new, nothing released
  CHECK(queue.size() == 2);
  CHECK(queue.release_due(1002) == 1003);
  CHECK(released == std::vector<std::string>{"a", "c"});
}

TEST_CASE("a holder destroyed or forgotten while queued leaves the queue") {
  std::vector<std::string> released;
  espd::IdleReleaseQueue queue;
  queue.set_limits(10, 100);
  Holder kept("kept", released), forgotten("forgotten", released);
  auto gone = std::make_unique<Holder>("gone", released);
  queue.went_idle(gone.get(), 0);
  queue.went_idle(&forgotten, 1);
  queue.went_idle(&kept, 2);
  gone.reset();
  queue.forget(&forgotten);
  queue.forget(&forgotten);  // not queued any more: nothing happens
  CHECK(queue.size() == 1);
  CHECK(queue.next_due_ms() == 12);
  queue.release_due(100);
  CHECK(released == std::vector<std::string>{"kept"});
}

TEST_CASE("a new delay applies to holders already queued") {
  std::vector<std::string> released;
  espd::IdleReleaseQueue queue;
  queue.set_limits(60000, 100);
  Holder a("a", released);
  queue.went_idle(&a, 0);
  CHECK(queue.release_due(1000) == 60000);
  queue.set_limits(100, 100);
  CHECK(queue.next_due_ms() == 100);
  queue.release_due(1000);
  CHECK(released == std::vector<std::string>{"a"});
}

TEST_CASE("holders outliving their queue are not touched by it again") {
  std::vector<std::string> released;
  Holder a("a", released);
  {
    espd::IdleReleaseQueue queue;
    queue.set_limits(10, 100);
    queue.went_idle(&a, 0);
  }
  CHECK(released.empty());  // a's destructor must not reach the gone queue (ASan would say)
}
