// Fuzz target: MS-WSMAN cookie persistence (proxy/persistence/). The input is request header lines
// (one per line; a line that is not a valid field is taken as a Cookie value). The pool is a real
// snapshot's: three servers with active-cookie persistence, the third disabled. Oracles:
// find_cookie() agrees with a reference reading of RFC 6265 cookie pairs (first match of the
// exact name, OWS trimmed, one pair of quotes removed) and returns a view into a header; a
// cookie is followed exactly when it is the HMAC value of an enabled server of the pool; any other
// request is scheduled to an enabled server and gets exactly that server's Set-Cookie line.
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include "fuzz/fuzz_support.h"

#include "proxy/config/config_loader.h"
#include "proxy/http1/field_syntax.h"
#include "proxy/persistence/cookie_persistence.h"
#include "proxy/persistence/server_choice.h"
#include "proxy/runtime/snapshot.h"

namespace {

using namespace espd;
using espd::fuzz::require;

constexpr size_t kMaxHeaders = 16;

const runtime::Pool& fuzz_pool() {
  static std::shared_ptr<const runtime::Snapshot> snapshot = [] {
    nlohmann::json document = nlohmann::json::parse(R"({
      "virtual_services": {"lync": {"listen": "127.0.0.1:8443", "default_pool": "fe",
        "pools": {"fe": {"persistence": {"mode": "active_cookie", "cookie": "MS-WSMAN"},
                         "reencrypt": {"enabled": false},
                         "real_servers": [
                           {"address": "10.154.201.2", "port": 4443},
                           {"address": "10.154.201.3", "port": 4443},
                           {"address": "10.154.201.4", "port": 4443, "enabled": false}]}}}}})");
    // No persistence key file in a directory that does not exist: the all-zero key of --check.
    config::LoadResult loaded = config::parse_config(document, "fuzz", "/nonexistent-espd-fuzz");
    require(loaded.config != nullptr, "the fuzz configuration is valid");
    config::Diagnostics diagnostics;
    auto built = runtime::build_snapshot(loaded.config, nullptr, diagnostics);
    require(built != nullptr, "the fuzz snapshot builds");
    return built;
  }();
  return snapshot->services.front()->pools.front();
}

// The first "name=value" pair with exactly `name` across all Cookie fields, in order.
std::string reference_find(const std::vector<http1::Header>& headers, std::string_view name) {
  for (const http1::Header& field : headers) {
    if (!http1::iequals(field.name, "cookie")) continue;
    std::string_view value = field.value;
    for (;;) {
      size_t semicolon = value.find(';');
      std::string_view pair = value.substr(0, semicolon);
      size_t equals = pair.find('=');
      if (equals != std::string_view::npos && http1::trim_ows(pair.substr(0, equals)) == name) {
        std::string_view found = http1::trim_ows(pair.substr(equals + 1));
        if (found.size() >= 2 && found.front() == '"' && found.back() == '"')
          found = found.substr(1, found.size() - 2);
        return std::string(found);
      }
      if (semicolon == std::string_view::npos) break;
      value.remove_prefix(semicolon + 1);
    }
  }
  return {};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const runtime::Pool& pool = fuzz_pool();
  std::string_view rest = fuzz::as_view(data, size);
  std::vector<http1::Header> headers;
  while (!rest.empty() && headers.size() < kMaxHeaders) {
    size_t newline = rest.find('\n');
    std::string_view line = rest.substr(0, newline);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    http1::Header field;
    if (http1::parse_field_line(line, field) != http1::ParseError::kNone) field = {"Cookie", line};
    headers.push_back(field);
    if (newline == std::string_view::npos) break;
    rest.remove_prefix(newline + 1);
  }

  const std::string& name = pool.config->persistence.cookie;
  std::string_view found = persistence::find_cookie(headers, name);
  require(found == reference_find(headers, name), "find_cookie reads cookie pairs as RFC 6265");
  bool in_a_header = found.empty();
  for (const http1::Header& field : headers)
    in_a_header = in_a_header || fuzz::inside(found, field.value);
  require(in_a_header, "the cookie value is a view into a header");

  const runtime::RealServer* named = nullptr;
  for (const runtime::RealServer& server : pool.servers) {
    require(server.cookie.size() == 22, "cookie values are 128 bits in base64url");
    if (!found.empty() && server.cookie == found) named = &server;
  }
  net::SocketAddress client = *net::parse_socket_address("192.0.2.7:50000");
  persistence::ServerChoice choice = persistence::choose_server(pool, headers, client, 1000);
  require(choice.server != nullptr, "two enabled servers: always one for the request");
  if (named && named->config->enabled) {
    require(choice.server == named && std::string_view(choice.decision) == "cookie" &&
                choice.set_cookie.empty(),
            "a valid cookie sends the client to its server, without a new cookie");
    return 0;
  }
  require(choice.server->config->enabled, "new clients go to enabled servers");
  require(std::string_view(choice.decision) == (named ? "rescheduled" : "scheduled"),
          "a cookie naming a disabled server reschedules; anything else schedules");
  require(choice.set_cookie ==
              persistence::set_cookie_field(pool.config->persistence, choice.server->cookie),
          "the new cookie names the chosen server");
  require(choice.set_cookie.find('\r') == choice.set_cookie.size() - 2, "Set-Cookie is one line",
          choice.set_cookie);
  return 0;
}
