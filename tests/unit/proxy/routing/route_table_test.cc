// Unit tests for route selection: hosts, anchored path patterns, header patterns, first match.
#include "proxy/routing/route_table.h"

#include <catch2/catch.hpp>

using namespace espd;

namespace {

routing::RouteTable table(const std::vector<config::RouteConfig>& routes) {
  return routing::RouteTable(routes, [](const std::string& pool) { return std::stoi(pool); });
}

config::RouteConfig route(std::vector<std::string> hosts, std::vector<std::string> paths, int pool,
                          std::map<std::string, std::string> headers = {}) {
  config::RouteConfig r;
  r.hosts = std::move(hosts);
  r.paths = std::move(paths);
  r.headers = std::move(headers);
  r.pool = std::to_string(pool);
  return r;
}

}  // namespace

TEST_CASE("first matching route wins, else -1 for the default pool") {
  auto routes = table({route({"webext2013.mycloud.ag"}, {}, 1), route({"*.mycloud.ag"}, {}, 2)});
  CHECK(routes.select({"webext2013.mycloud.ag", "/", nullptr}) == 1);
  CHECK(routes.select({"meet.mycloud.ag", "/", nullptr}) == 2);
  CHECK(routes.select({"other.example", "/", nullptr}) == -1);
}

TEST_CASE("path patterns are anchored: they match the whole path") {
  auto routes = table({route({}, {"/meet/.*", "/dialin"}, 1)});
  CHECK(routes.select({"a", "/meet/x", nullptr}) == 1);
  CHECK(routes.select({"a", "/dialin", nullptr}) == 1);
  CHECK(routes.select({"a", "/dialin/", nullptr}) == -1);
  CHECK(routes.select({"a", "/x/meet/x", nullptr}) == -1);
}

TEST_CASE("header patterns: every listed header must have a matching value") {
  std::vector<http1::Header> mobile = {{"User-Agent", "Lync Mobile"}, {"X-Ms-Client", "1"}};
  std::vector<http1::Header> browser = {{"user-agent", "Mozilla"}};
  auto routes = table({route({}, {}, 1, {{"User-Agent", ".*Mobile.*"}, {"X-MS-Client", "1"}})});
  CHECK(routes.select({"a", "/", &mobile}) == 1);
  CHECK(routes.select({"a", "/", &browser}) == -1);
  CHECK(routes.select({"a", "/", nullptr}) == -1);
}
