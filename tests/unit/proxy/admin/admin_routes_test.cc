// The OpenAPI document and the router agree: every documented route is implemented (answers
// something other than "no such resource" or 405) and every implemented route is documented.
#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>

#include "espd_source_root.h"
#include "proxy/admin/admin_api.h"
#include "proxy/config/config_loader.h"

using namespace espd;
using namespace espd::admin;

namespace {

// A running-like backend: a real snapshot of a small plain-HTTP configuration; writes refused.
class ReadOnlyBackend : public AdminBackend {
 public:
  ReadOnlyBackend() {
    nlohmann::json document = nlohmann::json::parse(R"({
      "virtual_services": {"web": {"listen": "127.0.0.1:18080",
        "pools": {"fe": {"reencrypt": {"enabled": false},
                         "real_servers": [{"address": "127.0.0.1", "port": 18081}]}}}}})");
    config::LoadResult loaded = config::parse_config(document, "", "/nonexistent");
    REQUIRE(loaded.config);
    config::Diagnostics diagnostics;
    snapshot_ = runtime::build_snapshot(loaded.config, nullptr, diagnostics);
    REQUIRE(snapshot_);
  }
  std::shared_ptr<const runtime::Snapshot> snapshot() const override { return snapshot_; }
  Change change_config(std::shared_ptr<const config::Config>, const std::string&) override {
    Change change;
    change.diagnostics.error("", "/", "read-only test backend");
    return change;
  }
  config::Diagnostics check_config(std::shared_ptr<const config::Config>) override { return {}; }
  const std::string& config_path() const override { return path_; }

 private:
  std::shared_ptr<const runtime::Snapshot> snapshot_;
  std::string path_ = "/nonexistent/espd.json";
};

std::set<std::string> documented_routes() {
  std::ifstream in(std::string(ESPD_SOURCE_ROOT) + "/docs/api.openapi.yaml");
  REQUIRE(in);
  std::set<std::string> routes;
  std::string line, path;
  bool in_paths = false;
  while (std::getline(in, line)) {
    if (line == "paths:") {
      in_paths = true;
      continue;
    }
    if (!in_paths) continue;
    if (line.rfind("  /", 0) == 0) {
      path = line.substr(2, line.find(':', 2) - 2);
    } else if (line.size() > 4 && line.rfind("    ", 0) == 0 && line[4] != ' ') {
      std::string method = line.substr(4, line.find(':') - 4);
      if (method == "get" || method == "put" || method == "post" || method == "patch" ||
          method == "delete") {
        for (char& c : method)
          c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        routes.insert(method + " " + path);
      }
    }
  }
  return routes;
}

}  // namespace

TEST_CASE("every implemented route is documented and every documented route is implemented") {
  std::set<std::string> documented = documented_routes();
  std::vector<std::string> implemented = AdminApi::routes();
  CHECK(documented == std::set<std::string>(implemented.begin(), implemented.end()));

  ReadOnlyBackend backend;
  AdminApi api(backend);
  for (const std::string& route : documented) {
    AdminRequest request;
    request.method = route.substr(0, route.find(' '));
    request.path = route.substr(route.find(' ') + 1);
    for (auto [param, value] :
         {std::pair{"{name}", "web"}, {"{pool}", "fe"}, {"{server}", "127.0.0.1:18081"}}) {
      size_t at = request.path.find(param);
      if (at != std::string::npos) request.path.replace(at, std::string(param).size(), value);
    }
    request.headers["content-type"] =
        request.method == "PATCH" ? "application/merge-patch+json" : "application/json";
    request.body = "{}";
    AdminResponse response = api.handle(request);
    INFO(route << " -> " << response.status << " " << response.body);
    CHECK(response.status != 405);
    CHECK(response.body.find("no such resource") == std::string::npos);
  }
}

TEST_CASE("unknown resources are 404 and wrong methods are 405 with Allow") {
  ReadOnlyBackend backend;
  AdminApi api(backend);
  AdminRequest request;
  request.method = "GET";
  request.path = "/api/v1/nothing";
  CHECK(api.handle(request).status == 404);
  request.method = "DELETE";
  request.path = "/api/v1/config";
  AdminResponse response = api.handle(request);
  CHECK(response.status == 405);
  REQUIRE(response.headers.size() == 1);
  CHECK(response.headers[0] == std::pair<std::string, std::string>{"Allow", "GET, PUT"});
}

TEST_CASE("bodies must be JSON of the right media type") {
  ReadOnlyBackend backend;
  AdminApi api(backend);
  AdminRequest request;
  request.method = "POST";
  request.path = "/api/v1/virtual-services";
  request.headers["content-type"] = "text/plain";
  request.body = "{}";
  CHECK(api.handle(request).status == 415);
  request.headers["content-type"] = "application/json; charset=utf-8";
  request.body = "{\"name\": ";
  AdminResponse response = api.handle(request);
  CHECK(response.status == 400);
  CHECK(response.body.find("malformed JSON") != std::string::npos);
  request.body = R"({"name": "a", "name": "b"})";
  CHECK(api.handle(request).status == 400);
}

TEST_CASE("path segments are percent-decoded; bad escapes refused") {
  std::vector<std::string> segments;
  REQUIRE(split_path("/api/v1/virtual-services/web/pools/fe/real-servers/%5B%3A%3A1%5D:4443",
                     segments));
  CHECK(segments.back() == "[::1]:4443");
  CHECK_FALSE(split_path("/api/%zz", segments));
}

// Found by fuzz/admin_api_fuzzer.cc (corpus: regression-invalid-utf8-in-error): an error message
// quoting bytes that are not UTF-8 made the JSON serialisation throw, so the client got a 500.
TEST_CASE("errors quoting bytes that are not UTF-8 are still JSON errors of the right status") {
  ReadOnlyBackend backend;
  AdminApi api(backend);
  AdminRequest request;
  request.method = "POST";
  request.path = "/api/v1/virtual-services";
  request.headers["content-type"] = "application/json";
  request.body = "{\"name\": \"web2\", \"listen\": \"127.0.0.1:18\xff\xff\"}";
  AdminResponse response = api.handle(request);
  CHECK(response.status == 400);
  CHECK(nlohmann::json::accept(response.body));
  request.method = "GET";
  request.path = "/api/v1/virtual-services/%FF%FE";
  request.body.clear();
  response = api.handle(request);
  CHECK(response.status == 404);
  REQUIRE(nlohmann::json::accept(response.body));
  CHECK(nlohmann::json::parse(response.body)["error"]["message"].get<std::string>().find(
            "\xef\xbf\xbd") != std::string::npos);  // U+FFFD in place of the bad bytes
  request.method = "PUT";
  request.body = "{}";
  response = api.handle(request);
  CHECK(response.status == 422);
  CHECK(nlohmann::json::accept(response.body));
}

// Found by probing through fuzz/admin_api_fuzzer.cc (corpus: regression-real-server-types,
// regression-real-server-null-patch, regression-csr-key-type-number): JSON of the wrong shape
// made nlohmann throw in the handlers, so the client got a 500 instead of a 422.
TEST_CASE("bodies of the wrong shape are refused with 422, never an exception") {
  ReadOnlyBackend backend;
  AdminApi api(backend);
  auto send = [&](const char* method, const char* path, const char* body) {
    AdminRequest request;
    request.method = method;
    request.path = path;
    request.headers["content-type"] =
        std::string(method) == "PATCH" ? "application/merge-patch+json" : "application/json";
    request.body = body;
    AdminResponse response = api.handle(request);
    INFO(method << " " << path << " " << body << " -> " << response.body);
    CHECK(nlohmann::json::accept(response.body));
    return response.status;
  };
  const char* servers = "/api/v1/virtual-services/web/pools/fe/real-servers";
  CHECK(send("POST", servers, R"({"address": 5, "port": "x"})") == 422);
  CHECK(send("POST", servers, R"({"address": "127.0.0.9", "port": 70000})") == 422);
  CHECK(send("PATCH", "/api/v1/virtual-services/web/pools/fe/real-servers/127.0.0.1:18081",
             "null") == 422);
  CHECK(send("PUT", "/api/v1/virtual-services/web/pools/fe/real-servers/127.0.0.1:18081",
             R"({"address": ["x"], "port": -1})") == 422);
  CHECK(send("POST", "/api/v1/certificates/x/csr", R"({"subject": "CN=a", "key_type": 5})") == 422);
}
