// Unit tests for connection admission: the per-listener and per-client limits, their counters,
// and the per-client count table.
#include "proxy/runtime/connection_admission.h"

#include <catch2/catch.hpp>
#include <thread>
#include <vector>

using namespace espd;
using namespace espd::runtime;

namespace {

net::SocketAddress address(const char* ip, uint16_t port = 40000) {
  return *net::make_socket_address(ip, port);
}

}  // namespace

TEST_CASE("max_connections refuses the connection over the limit and counts the refusal") {
  auto state = std::make_shared<ServiceState>();
  config::LimitsConfig limits;
  limits.max_connections = 2;
  Admission first, second, third;
  CHECK(admit(state, limits, address("192.0.2.1"), first) == AdmissionRefusal::kNone);
  CHECK(admit(state, limits, address("192.0.2.2"), second) == AdmissionRefusal::kNone);
  CHECK(admit(state, limits, address("192.0.2.3"), third) == AdmissionRefusal::kListenerFull);
  CHECK(state->connections.load() == 2);
  CHECK(state->connections_total.load() == 2);
  CHECK(state->connections_refused.load() == 1);
  first.release();
  first.release();  // twice: counted once
  CHECK(state->connections.load() == 1);
  CHECK(admit(state, limits, address("192.0.2.3"), third) == AdmissionRefusal::kNone);
  CHECK(refusal_detail(AdmissionRefusal::kListenerFull, limits) == "max_connections (2) reached");
}

TEST_CASE("without a per-client limit nothing is counted per client") {
  auto state = std::make_shared<ServiceState>();
  config::LimitsConfig limits;
  Admission admission;
  CHECK(admit(state, limits, address("192.0.2.1"), admission) == AdmissionRefusal::kNone);
  admission.release();
  CHECK(state->connections.load() == 0);
}

TEST_CASE("max_connections_per_client counts each client apart; IPv6 per /64") {
  auto state = std::make_shared<ServiceState>();
  config::LimitsConfig limits;
  limits.max_connections_per_client = 2;
  std::vector<Admission> held(6);
  CHECK(admit(state, limits, address("192.0.2.1", 1), held[0]) == AdmissionRefusal::kNone);
  CHECK(admit(state, limits, address("192.0.2.1", 2), held[1]) == AdmissionRefusal::kNone);
  Admission refused;
  CHECK(admit(state, limits, address("192.0.2.1", 3), refused) == AdmissionRefusal::kClientFull);
  CHECK(admit(state, limits, address("192.0.2.9", 1), held[2]) == AdmissionRefusal::kNone);
  CHECK(admit(state, limits, address("2001:db8:1:2::1"), held[3]) == AdmissionRefusal::kNone);
  CHECK(admit(state, limits, address("2001:db8:1:2::ffff"), held[4]) == AdmissionRefusal::kNone);
  CHECK(admit(state, limits, address("2001:db8:1:2:aaaa::7"), refused) ==
        AdmissionRefusal::kClientFull);  // the same /64
  CHECK(admit(state, limits, address("2001:db8:1:3::1"), held[5]) == AdmissionRefusal::kNone);
  CHECK(state->connections.load() == 6);
  CHECK(state->connections_refused.load() == 2);
  held[0] = Admission();  // moving over an admission releases it
  CHECK(admit(state, limits, address("192.0.2.1", 4), refused) == AdmissionRefusal::kNone);
  CHECK(refusal_detail(AdmissionRefusal::kClientFull, limits) ==
        "max_connections_per_client (2) reached");
}

TEST_CASE("an admission releases its counts when destroyed, even after its service was dropped") {
  auto state = std::make_shared<ServiceState>();
  std::weak_ptr<ServiceState> weak = state;
  config::LimitsConfig limits;
  limits.max_connections_per_client = 10;
  auto admission = std::make_unique<Admission>();
  REQUIRE(admit(state, limits, address("198.51.100.4"), *admission) == AdmissionRefusal::kNone);
  ClientAddressCounts::Key key = state->per_client().key_of(address("198.51.100.4"));
  CHECK(state->per_client().count(key) == 1);
  state.reset();  // a reload removed the service: the admission keeps its state alive
  REQUIRE_FALSE(weak.expired());
  CHECK(weak.lock()->connections.load() == 1);
  admission.reset();
  CHECK(weak.expired());
}

TEST_CASE("per-client counts: a client's estimate is never below its true count") {
  auto table = std::make_unique<ClientAddressCounts>();  // 512 KiB: not on the stack
  ClientAddressCounts& counts = *table;
  std::vector<ClientAddressCounts::Key> keys;
  for (int i = 0; i < 5000; ++i) {
    std::string ip = "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1);
    keys.push_back(counts.key_of(address(ip.c_str())));
    REQUIRE(counts.try_add(keys.back(), 0));
  }
  size_t exact = 0;
  for (const auto& key : keys) {
    CHECK(counts.count(key) >= 1);
    if (counts.count(key) == 1) ++exact;
  }
  // 5000 clients in 65536 columns: a collision in both rows is rare (about 0.6%).
  CHECK(exact > 4900);
  for (const auto& key : keys)
    counts.remove(key);
  for (const auto& key : keys)
    CHECK(counts.count(key) == 0);
}

TEST_CASE("racing workers never admit more than max_connections") {
  auto state = std::make_shared<ServiceState>();
  config::LimitsConfig limits;
  limits.max_connections = 100;
  std::vector<std::vector<Admission>> held(4);
  std::vector<std::thread> threads;
  for (auto& mine : held) {
    threads.emplace_back([&state, &limits, &mine] {
      for (int i = 0; i < 1000; ++i) {
        Admission admission;
        if (admit(state, limits, address("203.0.113.5"), admission) == AdmissionRefusal::kNone)
          mine.push_back(std::move(admission));
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  size_t admitted = 0;
  for (const auto& mine : held)
    admitted += mine.size();
  CHECK(admitted == 100);  // never more; a transient double refusal at the limit is made up for
  CHECK(state->connections.load() == static_cast<int64_t>(admitted));
  CHECK(state->connections_total.load() + state->connections_refused.load() == 4000);
}
