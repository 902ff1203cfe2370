// Unit tests for configuration validation: one bad value per case, each reported with its file,
// JSON pointer and a message that says what is wrong.
#include <catch2/catch.hpp>

#include "tests/unit/proxy/config/config_test_support.h"

using namespace espd::config;
using namespace espd::config::testing;
using nlohmann::json;

namespace {

// Applies `change` to the minimal configuration and expects an error at `pointer` whose message
// contains `fragment`.
void expect_error(const std::function<void(json&)>& change, const std::string& pointer,
                  const std::string& fragment) {
  json document = minimal();
  change(document);
  LoadResult result = load_json(document);
  INFO(document.dump());
  INFO(all_text(result));
  CHECK_FALSE(result.config);
  const Diagnostic* d = find(result, pointer);
  REQUIRE(d);
  CHECK(d->severity == Severity::kError);
  CHECK(d->file == "test.json");
  CHECK(d->message.find(fragment) != std::string::npos);
}

json& vs(json& d) {
  return d["virtual_services"]["web"];
}
json& pool(json& d) {
  return vs(d)["pools"]["fe"];
}

}  // namespace

TEST_CASE("the minimal configuration is valid and gets its defaults") {
  LoadResult result = load_json(minimal());
  INFO(all_text(result));
  REQUIRE(result.config);
  const VirtualServiceConfig& web = result.config->virtual_services.at("web");
  CHECK(web.idle_timeout_s == 1800);
  CHECK(web.limits.max_header_bytes == 65536);
  CHECK(web.limits.max_headers == 100);
  CHECK(web.limits.header_timeout_s == 20);
  CHECK(web.limits.body_timeout_s == 60);
  CHECK(web.limits.min_body_rate_bytes_s == 240);
  CHECK(web.limits.max_connections == 0);
  CHECK(web.limits.max_connections_per_client == 0);
  CHECK(web.default_pool == "fe");  // the only pool
  CHECK(web.pools.at("fe").real_servers[0].weight == 1000);
  CHECK(web.pools.at("fe").persistence.cookie == "MS-WSMAN");
  CHECK(web.pools.at("fe").persistence.timeout_s == 1200);
  CHECK(web.tls->alpn == std::vector<std::string>{"h2", "http/1.1"});
  CHECK(result.config->busy_poll_us == 0);  // workers sleep as soon as nothing is ready
  CHECK(result.config->idle_buffer_release_ms == 1000);
  CHECK(result.config->idle_buffer_max_connections == 256);
  CHECK(result.config->resolve_path("front.pem") == "/etc/espd/front.pem");
  CHECK(result.config->resolve_path("/abs/x.pem") == "/abs/x.pem");
}

TEST_CASE("ranges are checked with the value in the message") {
  expect_error([](json& d) { pool(d)["real_servers"][0]["port"] = 70000; },
               "/virtual_services/web/pools/fe/real_servers/0/port", "must be 1..65535, got 70000");
  expect_error([](json& d) { pool(d)["real_servers"][0]["port"] = 0; },
               "/virtual_services/web/pools/fe/real_servers/0/port", "got 0");
  expect_error([](json& d) { pool(d)["real_servers"][0]["weight"] = 0; },
               "/virtual_services/web/pools/fe/real_servers/0/weight", "must be 1..65535");
  expect_error([](json& d) { pool(d)["real_servers"][0]["weight"] = -3; },
               "/virtual_services/web/pools/fe/real_servers/0/weight", "got -3");
  expect_error([](json& d) { vs(d)["idle_timeout_s"] = 0; }, "/virtual_services/web/idle_timeout_s",
               "must be 1..86400");
  expect_error([](json& d) { vs(d)["limits"]["max_header_bytes"] = 100; },
               "/virtual_services/web/limits/max_header_bytes", "must be 1024..1048576");
  expect_error([](json& d) { vs(d)["limits"]["max_headers"] = 0; },
               "/virtual_services/web/limits/max_headers", "must be 1..10000");
  expect_error([](json& d) { vs(d)["limits"]["header_timeout_s"] = 0; },
               "/virtual_services/web/limits/header_timeout_s", "must be 1..3600");
  expect_error([](json& d) { vs(d)["limits"]["body_timeout_s"] = 0; },
               "/virtual_services/web/limits/body_timeout_s", "must be 1..86400");
  expect_error([](json& d) { vs(d)["limits"]["min_body_rate_bytes_s"] = -1; },
               "/virtual_services/web/limits/min_body_rate_bytes_s", "got -1");
  expect_error([](json& d) { vs(d)["limits"]["max_connections"] = "100"; },
               "/virtual_services/web/limits/max_connections", "");
  expect_error(
      [](json& d) {
        pool(d)["health_check"] = {{"retries", 11}};
      },
      "/virtual_services/web/pools/fe/health_check/retries", "must be 1..10");
  expect_error(
      [](json& d) {
        pool(d)["persistence"] = {{"ipv4_prefix", 33}};
      },
      "/virtual_services/web/pools/fe/persistence/ipv4_prefix", "must be 1..32");
  expect_error([](json& d) { d["workers"] = 5000; }, "/workers", "must be 0..1024");
  expect_error([](json& d) { d["busy_poll_us"] = 5000; }, "/busy_poll_us", "must be 0..1000");
  expect_error([](json& d) { d["idle_buffer_release_ms"] = 60001; }, "/idle_buffer_release_ms",
               "must be 0..60000");
  expect_error([](json& d) { d["idle_buffer_release_ms"] = -1; }, "/idle_buffer_release_ms",
               "must be 0..60000");
  expect_error([](json& d) { d["idle_buffer_max_connections"] = 100001; },
               "/idle_buffer_max_connections", "must be 0..100000");
  expect_error(
      [](json& d) {
        pool(d)["health_check"] = {{"expect_status", {200, 700}}};
      },
      "/virtual_services/web/pools/fe/health_check/expect_status/1", "100..599");
}

TEST_CASE("types are checked") {
  expect_error([](json& d) { pool(d)["real_servers"][0]["port"] = "4443"; },
               "/virtual_services/web/pools/fe/real_servers/0/port", "got string");
  expect_error([](json& d) { pool(d)["real_servers"][0]["enabled"] = "yes"; },
               "/virtual_services/web/pools/fe/real_servers/0/enabled", "expected true or false");
  expect_error([](json& d) { vs(d)["listen"] = 443; }, "/virtual_services/web/listen",
               "expected a string, got integer");
  expect_error(
      [](json& d) {
        vs(d)["esp"] = {{"allowed_hosts", "meet.mycloud.ag"}};
      },
      "/virtual_services/web/esp/allowed_hosts", "expected an array of strings");
  expect_error(
      [](json& d) {
        vs(d)["esp"] = {{"allowed_hosts", {"a.example", 5}}};
      },
      "/virtual_services/web/esp/allowed_hosts/1", "expected a string");
  expect_error([](json& d) { pool(d)["real_servers"] = json::object(); },
               "/virtual_services/web/pools/fe/real_servers", "expected an array");
  expect_error([](json& d) { d["virtual_services"] = json::array(); }, "/virtual_services",
               "expected an object");
  expect_error([](json& d) { vs(d)["idle_timeout_s"] = 1.5; },
               "/virtual_services/web/idle_timeout_s", "got number");
}

TEST_CASE("unknown keys are errors at every level, with a suggestion") {
  expect_error([](json& d) { d["virtual_service"] = json::object(); }, "/virtual_service",
               "did you mean \"virtual_services\"");
  expect_error([](json& d) { vs(d)["listn"] = "x"; }, "/virtual_services/web/listn",
               "unknown key \"listn\" (did you mean \"listen\"?)");
  expect_error([](json& d) { pool(d)["real_servers"][0]["wieght"] = 3; },
               "/virtual_services/web/pools/fe/real_servers/0/wieght", "did you mean \"weight\"");
  expect_error(
      [](json& d) {
        pool(d)["persistence"] = {{"mode", "active_cookie"}, {"cokie", "X"}};
      },
      "/virtual_services/web/pools/fe/persistence/cokie", "did you mean \"cookie\"");
  expect_error([](json& d) { d["certificates"]["front"]["pass"] = "x"; },
               "/certificates/front/pass", "unknown key");
  expect_error(
      [](json& d) {
        vs(d)["esp"] = {{"logging", {{"conections", true}}}};
      },
      "/virtual_services/web/esp/logging/conections", "did you mean \"connections\"");
  expect_error([](json& d) { vs(d)["zzz"] = 1; }, "/virtual_services/web/zzz",
               "unknown key \"zzz\"");
}

TEST_CASE("required keys") {
  expect_error([](json& d) { vs(d).erase("listen"); }, "/virtual_services/web/listen",
               "required key is missing");
  expect_error([](json& d) { pool(d)["real_servers"][0].erase("port"); },
               "/virtual_services/web/pools/fe/real_servers/0/port", "required key is missing");
  expect_error([](json& d) { pool(d)["real_servers"][0].erase("address"); },
               "/virtual_services/web/pools/fe/real_servers/0/address", "required key is missing");
  expect_error([](json& d) { d["certificates"]["front"] = json::object(); },
               "/certificates/front/cert", "required key is missing");
  expect_error([](json& d) { d["trust_stores"]["internal"] = json::object(); },
               "/trust_stores/internal/ca", "required key is missing");
  expect_error(
      [](json& d) {
        d["admin"] = {{"listen", "127.0.0.1:9000"}};
      },
      "/admin/token_file", "required key is missing");
}

TEST_CASE("enumerations") {
  expect_error([](json& d) { pool(d)["scheduling"] = "fastest"; },
               "/virtual_services/web/pools/fe/scheduling", "must be one of");
  expect_error(
      [](json& d) {
        pool(d)["persistence"] = {{"mode", "cookie"}};
      },
      "/virtual_services/web/pools/fe/persistence/mode", "\"active_cookie\"");
  expect_error([](json& d) { vs(d)["tls"]["min_version"] = "1.1"; },
               "/virtual_services/web/tls/min_version", "got \"1.1\"");
  expect_error([](json& d) { vs(d)["tls"]["alpn"] = {"spdy/3"}; },
               "/virtual_services/web/tls/alpn/0", "must be \"h2\" or \"http/1.1\"");
  expect_error(
      [](json& d) {
        vs(d)["tls"]["alpn"] = {"h2", "h2"};
      },
      "/virtual_services/web/tls/alpn/1", "listed twice");
  expect_error(
      [](json& d) {
        d["logging"] = {{"level", "verbose"}};
      },
      "/logging/level", "must be one of");
}

TEST_CASE("references to certificates, trust stores and pools must exist") {
  expect_error([](json& d) { vs(d)["tls"]["certificates"] = {"site"}; },
               "/virtual_services/web/tls/certificates/0",
               "certificate \"site\" is not defined in /certificates");
  expect_error([](json& d) { vs(d)["tls"]["certificates"] = json::array(); },
               "/virtual_services/web/tls/certificates", "at least one certificate");
  expect_error([](json& d) { pool(d)["reencrypt"]["trust"] = "public"; },
               "/virtual_services/web/pools/fe/reencrypt/trust", "trust store \"public\"");
  expect_error([](json& d) { pool(d)["reencrypt"]["client_certificate"] = "nope"; },
               "/virtual_services/web/pools/fe/reencrypt/client_certificate", "\"nope\"");
  expect_error([](json& d) { vs(d)["default_pool"] = "fe2"; }, "/virtual_services/web/default_pool",
               "pool \"fe2\" is not defined in this virtual service's pools");
  expect_error(
      [](json& d) {
        vs(d)["routes"] = {{{"hosts", {"a.example"}}, {"pool", "x"}}};
      },
      "/virtual_services/web/routes/0/pool", "pool \"x\" is not defined");
  expect_error([](json& d) { vs(d)["pools"]["second"] = pool(d); },
               "/virtual_services/web/default_pool",
               "required when a virtual service has several pools");
  expect_error(
      [](json& d) {
        d["admin"] = {{"token_file", "t"}, {"certificates", {"x"}}};
      },
      "/admin/certificates/0", "\"x\" is not defined");
}

TEST_CASE("listen addresses: syntax and collisions") {
  expect_error([](json& d) { vs(d)["listen"] = "meet.mycloud.ag:443"; },
               "/virtual_services/web/listen", "must be \"IPv4:port\" or \"[IPv6]:port\"");
  expect_error([](json& d) { vs(d)["listen"] = "10.0.0.1:0"; }, "/virtual_services/web/listen",
               "port 1..65535");
  expect_error(
      [](json& d) {
        d["virtual_services"]["zz"] = vs(d);
        d["virtual_services"]["zz"]["listen"] = "0.0.0.0:8443";
      },
      "/virtual_services/zz/listen", "collides with 127.0.0.1:8443");
  expect_error(
      [](json& d) {
        d["admin"] = {{"listen", "127.0.0.1:8443"}, {"token_file", "t"}};
      },
      "/virtual_services/web/listen", "collides with 127.0.0.1:8443 at test.json: /admin/listen");
  expect_error(
      [](json& d) {
        d["admin"] = {{"listen", "10.0.0.1:9000"}, {"token_file", "t"}};
      },
      "/admin/certificates", "non-loopback");
}

TEST_CASE("real servers: literal addresses, no duplicates") {
  expect_error([](json& d) { pool(d)["real_servers"][0]["address"] = "fe1.contoso.local"; },
               "/virtual_services/web/pools/fe/real_servers/0/address", "IPv4 or IPv6 address");
  expect_error([](json& d) { pool(d)["real_servers"].push_back(pool(d)["real_servers"][0]); },
               "/virtual_services/web/pools/fe/real_servers/1", "listed twice");
}

TEST_CASE("ESP hosts, directories and route patterns") {
  expect_error(
      [](json& d) {
        vs(d)["esp"] = {{"allowed_hosts", {"meet..mycloud.ag"}}};
      },
      "/virtual_services/web/esp/allowed_hosts/0", "not a host name");
  expect_error(
      [](json& d) {
        vs(d)["esp"] = {{"allowed_hosts", {"*mycloud.ag"}}};
      },
      "/virtual_services/web/esp/allowed_hosts/0", "not a host name");
  expect_error(
      [](json& d) {
        vs(d)["esp"] = {{"allowed_directories", {"meet/*"}}};
      },
      "/virtual_services/web/esp/allowed_directories/0", "must start with \"/\"");
  expect_error(
      [](json& d) {
        vs(d)["routes"] = {{{"paths", {"/meet/(unclosed"}}, {"pool", "fe"}}};
      },
      "/virtual_services/web/routes/0/paths/0", "invalid RE2 pattern");
  expect_error(
      [](json& d) {
        vs(d)["routes"] = {{{"headers", {{"User-Agent", "[z-a]"}}}, {"pool", "fe"}}};
      },
      "/virtual_services/web/routes/0/headers/User-Agent", "invalid RE2 pattern");
  expect_error(
      [](json& d) {
        pool(d)["persistence"] = {{"cookie", "MS WSMAN"}};
      },
      "/virtual_services/web/pools/fe/persistence/cookie", "not a valid cookie name");
  expect_error(
      [](json& d) {
        pool(d)["persistence"] = {{"cookie_samesite", "None"}};
      },
      "/virtual_services/web/pools/fe/persistence/cookie_samesite", "requires cookie_secure");
  expect_error(
      [](json& d) {
        pool(d)["health_check"] = {{"url", "healthcheck.html"}};
      },
      "/virtual_services/web/pools/fe/health_check/url", "starting with \"/\"");
  expect_error(
      [](json& d) {
        pool(d)["health_check"] = {{"interval_s", 2}, {"timeout_s", 4}};
      },
      "/virtual_services/web/pools/fe/health_check/timeout_s", "must not exceed interval_s");
}

TEST_CASE("certificate forms, redirect services and entity names") {
  expect_error([](json& d) { d["certificates"]["front"]["pkcs12"] = "site.pfx"; },
               "/certificates/front", "either the PEM form");
  expect_error([](json& d) { d["certificates"]["front"]["password_file"] = "p"; },
               "/certificates/front/password_file", "only used with \"pkcs12\"");
  expect_error(
      [](json& d) {
        vs(d)["redirect_to_https"] = {{"https_port", 443}};
      },
      "/virtual_services/web/redirect_to_https", "cannot redirect");
  expect_error([](json& d) { vs(d).erase("pools"); }, "/virtual_services/web/pools",
               "at least one pool");
  expect_error([](json& d) { d["virtual_services"]["bad name"] = vs(d); },
               "/virtual_services/bad name", "invalid name");
  expect_error([](json& d) { vs(d)["pools"]["a/b"] = pool(d); }, "/virtual_services/web/pools/a~1b",
               "invalid name");
}

TEST_CASE("a plain redirect service needs no pool") {
  json document = minimal();
  document["virtual_services"]["http"] = {{"listen", "127.0.0.1:8080"},
                                          {"redirect_to_https", {{"https_port", 8443}}}};
  LoadResult result = load_json(document);
  INFO(all_text(result));
  REQUIRE(result.config);
  CHECK(result.config->virtual_services.at("http").redirect_to_https.enabled);
  CHECK(result.config->virtual_services.at("http").redirect_to_https.https_port == 8443);
}

TEST_CASE("warnings: ESP with no allowed host, every real server disabled") {
  json document = minimal();
  vs(document)["esp"] = {{"enabled", true}};
  pool(document)["real_servers"][0]["enabled"] = false;
  LoadResult result = load_json(document);
  REQUIRE(result.config);  // warnings do not make a configuration invalid
  const Diagnostic* esp = find(result, "/virtual_services/web/esp/allowed_hosts");
  REQUIRE(esp);
  CHECK(esp->severity == Severity::kWarning);
  CHECK(esp->message.find("every request will be refused with 403") != std::string::npos);
  const Diagnostic* servers = find(result, "/virtual_services/web/pools/fe/real_servers");
  REQUIRE(servers);
  CHECK(servers->severity == Severity::kWarning);
}

TEST_CASE("several errors are reported in one run") {
  json document = minimal();
  pool(document)["real_servers"][0]["port"] = 70000;
  vs(document)["listn"] = "x";
  vs(document)["tls"]["certificates"] = {"missing"};
  LoadResult result = load_json(document);
  CHECK(result.diagnostics.error_count() >= 3);
  CHECK(find(result, "/virtual_services/web/pools/fe/real_servers/0/port"));
  CHECK(find(result, "/virtual_services/web/listn"));
  CHECK(find(result, "/virtual_services/web/tls/certificates/0"));
}

TEST_CASE("diagnostics print as file: pointer: severity: message") {
  Diagnostic d{Severity::kError, "conf.d/lync.json",
               "/virtual_services/ESPforLYNC/pools/fe/real_servers/1/port",
               "must be 1..65535, got 70000"};
  CHECK(
      d.to_string() ==
      "conf.d/lync.json: /virtual_services/ESPforLYNC/pools/fe/real_servers/1/port: error: must be "
      "1..65535, got 70000");
}
