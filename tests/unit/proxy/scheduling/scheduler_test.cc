// Unit tests for the schedulers: smooth weighted order, weighted least connection, availability.
#include <catch2/catch.hpp>
#include <map>

#include "proxy/scheduling/scheduler.h"

using namespace espd;

namespace {

// A pool of `weights.size()` servers, with states the test can change.
struct TestPool {
  config::PoolConfig config;
  std::vector<config::RealServerConfig> server_configs;
  runtime::Pool pool;

  explicit TestPool(std::vector<uint32_t> weights, config::Scheduling scheduling) {
    config.scheduling = scheduling;
    for (uint32_t w : weights) {
      config::RealServerConfig server;
      server.weight = w;
      server_configs.push_back(server);
    }
    pool.config = &config;
    pool.state = std::make_shared<runtime::PoolState>();
    for (size_t i = 0; i < server_configs.size(); ++i) {
      runtime::RealServer server;
      server.config = &server_configs[i];
      server.label = std::string(1, static_cast<char>('A' + i));
      server.state = std::make_shared<runtime::RealServerState>();
      pool.servers.push_back(server);
    }
    pool.weighted_order = scheduling::smooth_weighted_order(weights);
  }
  std::map<std::string, int> count(int picks) {
    std::map<std::string, int> counts;
    for (int i = 0; i < picks; ++i) {
      const runtime::RealServer* server = scheduling::pick(pool, 0);
      if (server) counts[server->label]++;
    }
    return counts;
  }
};

}  // namespace

TEST_CASE("smooth weighted order: proportions without long runs") {
  std::vector<uint16_t> order = scheduling::smooth_weighted_order({3, 1});
  CHECK(order == std::vector<uint16_t>{0, 0, 1, 0});
  order = scheduling::smooth_weighted_order({5, 1, 1});
  CHECK(order.size() == 7);
  CHECK(std::count(order.begin(), order.end(), 0) == 5);
  CHECK(order[0] == 0);
  CHECK(order[1] != order[2]);
  order = scheduling::smooth_weighted_order({1000, 1000});
  CHECK(order == std::vector<uint16_t>{0, 1});  // reduced by the common divisor
  order = scheduling::smooth_weighted_order({65535, 1}, 100);
  CHECK(order.size() <= 101);
  CHECK(std::count(order.begin(), order.end(), 1) == 1);
}

TEST_CASE("weighted round robin gives the weights' proportions") {
  TestPool pool({3, 1}, config::Scheduling::kWeightedRoundRobin);
  auto counts = pool.count(400);
  CHECK(counts["A"] == 300);
  CHECK(counts["B"] == 100);
}

TEST_CASE("round robin alternates and skips unavailable servers") {
  TestPool pool({1, 1, 1}, config::Scheduling::kRoundRobin);
  auto counts = pool.count(300);
  CHECK(counts["A"] == 100);
  CHECK(counts["B"] == 100);
  pool.pool.servers[1].state->health = runtime::Health::kDown;
  pool.server_configs[2].drain = true;
  counts = pool.count(10);
  CHECK(counts["A"] == 10);
  pool.server_configs[0].enabled = false;
  CHECK(scheduling::pick(pool.pool, 0) == nullptr);
}

TEST_CASE("least connection: fewest active per weight, ties rotate") {
  TestPool pool({1, 1}, config::Scheduling::kLeastConnection);
  pool.pool.servers[0].state->active = 3;
  auto counts = pool.count(10);
  CHECK(counts["B"] == 10);
  pool.pool.servers[0].state->active = 0;
  counts = pool.count(10);
  CHECK(counts["A"] == 5);
  CHECK(counts["B"] == 5);
}

TEST_CASE("weighted least connection compares active/weight") {
  TestPool pool({3, 1}, config::Scheduling::kLeastConnection);
  // Simulate requests that stay active: each pick adds one to the chosen server.
  std::map<std::string, int> counts;
  for (int i = 0; i < 8; ++i) {
    const runtime::RealServer* server = scheduling::pick(pool.pool, 0);
    server->state->active++;
    counts[server->label]++;
  }
  CHECK(counts["A"] == 6);
  CHECK(counts["B"] == 2);
}

TEST_CASE("a passive back-off and an excluded server are skipped") {
  TestPool pool({1, 1}, config::Scheduling::kRoundRobin);
  pool.pool.servers[0].state->failing_until_ms = 5000;
  CHECK(scheduling::pick(pool.pool, 1000)->label == "B");
  CHECK(scheduling::pick(pool.pool, 6000, &pool.pool.servers[1])->label == "A");
  CHECK(scheduling::accepts_persisted(pool.pool.servers[1], 0));
  pool.server_configs[1].drain = true;
  CHECK(scheduling::accepts_persisted(pool.pool.servers[1], 0));
  CHECK_FALSE(scheduling::is_available(pool.pool.servers[1], 0));
}
