// Unit tests for reading configuration files: JSON syntax, duplicate keys, directories, round trip.
#include <catch2/catch.hpp>

#include "tests/unit/proxy/config/config_test_support.h"

using namespace espd::config;
using namespace espd::config::testing;
using nlohmann::json;

namespace {
json& vs(json& d) {
  return d["virtual_services"]["web"];
}
json& pool(json& d) {
  return vs(d)["pools"]["fe"];
}
}  // namespace

TEST_CASE("a JSON syntax error names the file, line and column") {
  TempDir dir;
  std::string path = dir.write("bad.json", "{\n  \"workers\": 2,\n  \"logging\": {,}\n}\n");
  LoadResult result = load_config(path);
  REQUIRE_FALSE(result.config);
  REQUIRE(result.diagnostics.all().size() == 1);
  const Diagnostic& d = result.diagnostics.all()[0];
  CHECK(d.file == path);
  CHECK(d.message.find("line 3, column 15") != std::string::npos);
}

TEST_CASE("a key defined twice in one object is refused, with its pointer") {
  TempDir dir;
  std::string path = dir.write(
      "dup.json",
      R"({"virtual_services": {"web": {"listen": "127.0.0.1:1", "listen": "127.0.0.1:2"}}})");
  LoadResult result = load_config(path);
  REQUIRE_FALSE(result.config);
  CHECK(result.diagnostics.all()[0].json_path == "/virtual_services/web/listen");
  CHECK(result.diagnostics.all()[0].message.find("defined twice") != std::string::npos);
}

TEST_CASE("duplicate keys inside arrays are found with the array index") {
  TempDir dir;
  std::string path = dir.write(
      "dup.json",
      R"({"virtual_services": {"web": {"pools": {"fe": {"real_servers": [{"address": "a", "port": 1}, {"port": 1, "port": 2}]}}}}})");
  LoadResult result = load_config(path);
  REQUIRE_FALSE(result.config);
  CHECK(result.diagnostics.all()[0].json_path ==
        "/virtual_services/web/pools/fe/real_servers/1/port");
}

TEST_CASE("a missing file and a top level that is not an object") {
  CHECK(load_config("/nonexistent/espd.json").diagnostics.all()[0].message ==
        "no such file or directory");
  TempDir dir;
  LoadResult result = load_config(dir.write("a.json", "[1, 2]"));
  REQUIRE_FALSE(result.config);
  CHECK(result.diagnostics.all()[0].message.find("expected an object") != std::string::npos);
}

TEST_CASE("a directory merges its *.json files in name order") {
  TempDir dir;
  json base = minimal();
  json services = {{"virtual_services", base["virtual_services"]}};
  base.erase("virtual_services");
  dir.write("10-certificates.json", base.dump());
  dir.write("20-services.json", services.dump());
  dir.write("notes.txt", "not json, ignored");
  dir.write(".hidden.json", "{ broken");
  LoadResult result = load_config(dir.path().string());
  INFO(all_text(result));
  REQUIRE(result.config);
  CHECK(result.config->virtual_services.at("web").source_file ==
        (dir.path() / "20-services.json").string());
  CHECK(result.config->certificates.at("front").source_file ==
        (dir.path() / "10-certificates.json").string());
  CHECK(result.config->base_dir == dir.path().string());
}

TEST_CASE("in a directory, a name defined in two files is an error naming both") {
  TempDir dir;
  dir.write("a.json", minimal().dump());
  json second = {{"virtual_services", minimal()["virtual_services"]}};
  second["virtual_services"]["web"]["listen"] = "127.0.0.1:9443";
  dir.write("b.json", second.dump());
  LoadResult result = load_config(dir.path().string());
  REQUIRE_FALSE(result.config);
  const Diagnostic* d = find(result, "/virtual_services/web");
  REQUIRE(d);
  CHECK(d->file == (dir.path() / "b.json").string());
  CHECK(d->message.find((dir.path() / "a.json").string()) != std::string::npos);
}

TEST_CASE("in a directory, errors name the file the entity came from") {
  TempDir dir;
  json base = minimal();
  json services = {{"virtual_services", base["virtual_services"]}};
  services["virtual_services"]["web"]["pools"]["fe"]["real_servers"][0]["port"] = 70000;
  base.erase("virtual_services");
  base["workers"] = "two";
  dir.write("10-base.json", base.dump());
  dir.write("20-lync.json", services.dump());
  LoadResult result = load_config(dir.path().string());
  REQUIRE_FALSE(result.config);
  const Diagnostic* port = find(result, "/virtual_services/web/pools/fe/real_servers/0/port");
  REQUIRE(port);
  CHECK(port->file == (dir.path() / "20-lync.json").string());
  const Diagnostic* workers = find(result, "/workers");
  REQUIRE(workers);
  CHECK(workers->file == (dir.path() / "10-base.json").string());
}

TEST_CASE("in a directory, a top-level setting may come from one file only") {
  TempDir dir;
  dir.write("a.json", R"({"workers": 2})");
  dir.write("b.json", R"({"workers": 4})");
  LoadResult result = load_config(dir.path().string());
  REQUIRE_FALSE(result.config);
  CHECK(find(result, "/workers")->message.find("already set in") != std::string::npos);
}

TEST_CASE("an empty directory is an error") {
  TempDir dir;
  LoadResult result = load_config(dir.path().string());
  REQUIRE_FALSE(result.config);
  CHECK(result.diagnostics.all()[0].message.find("no *.json") != std::string::npos);
}

TEST_CASE("to_json writes a configuration that parses back to the same JSON") {
  json document = minimal();
  document["admin"] = {{"listen", "127.0.0.1:9000"}, {"token_file", "admin.token"}};
  vs(document)["esp"] = {{"enabled", true},
                         {"allowed_hosts", {"meet.mycloud.ag", "*.mycloud.ag"}},
                         {"allowed_directories", {"/meet/*", "/abs/*"}}};
  pool(document)["scheduling"] = "least_connection";
  pool(document)["persistence"] = {{"mode", "active_cookie"}, {"timeout_s", 1200}};
  pool(document)["health_check"] = {{"port", 443}, {"url", "/healthcheck.html"}};
  vs(document)["routes"] = {{{"hosts", {"meet.mycloud.ag"}},
                             {"paths", {"/meet/.*"}},
                             {"headers", {{"User-Agent", ".*Lync.*"}}},
                             {"pool", "fe"}}};
  document["certificates"]["p12"] = {{"pkcs12", "site.pfx"}, {"password_file", "site.pass"}};
  document["busy_poll_us"] = 50;
  document["idle_buffer_release_ms"] = 250;
  document["idle_buffer_max_connections"] = 9;
  LoadResult first = load_json(document);
  INFO(all_text(first));
  REQUIRE(first.config);
  json written = to_json(*first.config);
  LoadResult second = load_json(written);
  INFO(all_text(second));
  REQUIRE(second.config);
  CHECK(to_json(*second.config) == written);
  CHECK(written["virtual_services"]["web"]["pools"]["fe"]["health_check"]["port"] == 443);
  CHECK(written["busy_poll_us"] == 50);
  CHECK(written["idle_buffer_release_ms"] == 250);
  CHECK(written["idle_buffer_max_connections"] == 9);
  CHECK(written["virtual_services"]["web"]["limits"]["max_header_bytes"] == 65536);
}
