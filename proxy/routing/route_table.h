// Several pools behind one listener: routes match on host, path and request headers, first match
// wins, else the default pool. Every pattern is compiled once, when the snapshot is built.
#pragma once

#include <re2/re2.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/config_model.h"
#include "proxy/esp/host_matcher.h"
#include "proxy/http1/message.h"

namespace espd::routing {

struct RouteRequest {
  std::string_view host;  // normalised (esp::normalize_host)
  std::string_view path;  // normalised (esp::normalize_path)
  const std::vector<http1::Header>* headers = nullptr;
};

class RouteTable {
 public:
  // Routes are given by pool name; `pool_index(name)` maps them to indexes of the service's
  // pools (validated beforehand). Patterns that fail to compile were reported by the validator.
  template <typename PoolIndex>
  RouteTable(const std::vector<config::RouteConfig>& routes, PoolIndex pool_index) {
    for (const config::RouteConfig& route : routes)
      add(route, pool_index(route.pool));
  }
  RouteTable() = default;

  // The pool index of the first matching route, or -1 (use the default pool).
  int select(const RouteRequest& request) const;
  size_t size() const { return routes_.size(); }

 private:
  struct HeaderPattern {
    std::string name;
    std::unique_ptr<RE2> pattern;
  };
  struct Route {
    bool any_host = true;
    esp::HostMatcher hosts;
    std::vector<std::unique_ptr<RE2>> paths;  // any of them (anchored, whole path)
    std::vector<HeaderPattern> headers;       // all of them (anchored, any value of the field)
    int pool = -1;
  };

  void add(const config::RouteConfig& route, int pool);

  std::vector<Route> routes_;
};

}  // namespace espd::routing
