// Several pools behind one listener: first matching route, else the default pool.
#include "proxy/routing/route_table.h"

#include <algorithm>

namespace espd::routing {
namespace {

std::unique_ptr<RE2> compile(const std::string& pattern) {
  RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_unique<RE2>(pattern, options);
  return re->ok() ? std::move(re) : nullptr;
}

}  // namespace

void RouteTable::add(const config::RouteConfig& config, int pool) {
  Route route;
  route.any_host = config.hosts.empty();
  route.hosts = esp::HostMatcher(config.hosts);
  for (const std::string& pattern : config.paths) {
    if (auto re = compile(pattern)) route.paths.push_back(std::move(re));
  }
  for (const auto& [name, pattern] : config.headers) {
    if (auto re = compile(pattern)) route.headers.push_back({name, std::move(re)});
  }
  route.pool = pool;
  routes_.push_back(std::move(route));
}

int RouteTable::select(const RouteRequest& request) const {
  for (const Route& route : routes_) {
    if (!route.any_host && !route.hosts.matches(request.host)) continue;
    if (!route.paths.empty() &&
        std::none_of(route.paths.begin(), route.paths.end(), [&](const std::unique_ptr<RE2>& re) {
          return RE2::FullMatch(re2::StringPiece(request.path.data(), request.path.size()), *re);
        })) {
      continue;
    }
    bool headers_match =
        std::all_of(route.headers.begin(), route.headers.end(), [&](const HeaderPattern& wanted) {
          if (!request.headers) return false;
          return std::any_of(
              request.headers->begin(), request.headers->end(), [&](const http1::Header& field) {
                return http1::iequals(field.name, wanted.name) &&
                       RE2::FullMatch(re2::StringPiece(field.value.data(), field.value.size()),
                                      *wanted.pattern);
              });
        });
    if (headers_match) return route.pool;
  }
  return -1;
}

}  // namespace espd::routing
