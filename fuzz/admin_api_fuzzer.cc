// Fuzz target: the admin API's request handling. The input is what a client sends on one admin
// connection: requests are read with the admin server's framing (admin_http_codec.cc),
// authenticated with a bearer token as the server does, routed and handled by AdminApi against a
// backend holding a real snapshot, and answered (up to 8 requests per input). The backend applies
// changes in memory (a fresh snapshot per input, nothing saved) and refuses any configuration that
// names a file outside the scratch directory (certificate uploads and CSR keys are written there);
// CSRs for RSA keys are skipped (see asks_for_rsa_key).
// Oracles: no exception escapes a handler (the server would turn it into a 500); every response is
// well-formed on the wire and its JSON parses; no 500 for anything a client sends; the token and
// private keys never appear in a response unless the request itself carried them.
#include <sys/stat.h>

#include <fstream>
#include <memory>
#include <string>

#include "fuzz/fuzz_support.h"
#include "proxy/admin/admin_api.h"
#include "proxy/admin/admin_auth.h"
#include "proxy/admin/admin_http_codec.h"
#include "proxy/admin/config_document.h"
#include "proxy/config/config_loader.h"
#include "proxy/http1/response_parser.h"
#include "proxy/log/log_writer.h"

namespace {

using namespace espd;
using espd::fuzz::require;
namespace fs = std::filesystem;

constexpr char kToken[] = "fuzz-admin-token-0123456789abcdef";
constexpr size_t kMaxRequests = 8;
constexpr size_t kMaxRequestBytes = 65536;

// The running configuration every input starts from: two services, ESP, routes, persistence.
constexpr char kConfig[] = R"({
  "virtual_services": {
    "web": {"listen": "127.0.0.1:18080", "default_pool": "fe",
      "esp": {"enabled": true, "allowed_hosts": ["meet.mycloud.ag", "*.mycloud.ag"],
              "allowed_directories": ["/meet/*", "/dialin/*"]},
      "routes": [{"paths": ["/dialin/.*"], "pool": "dialin"}],
      "pools": {
        "fe": {"scheduling": "least_connection",
               "persistence": {"mode": "active_cookie", "cookie": "MS-WSMAN"},
               "reencrypt": {"enabled": false},
               "health_check": {"url": "/healthcheck.html"},
               "real_servers": [{"address": "127.0.0.1", "port": 18081},
                                {"address": "::1", "port": 18082, "weight": 10}]},
        "dialin": {"reencrypt": {"enabled": false},
                   "real_servers": [{"address": "127.0.0.1", "port": 18083, "drain": true}]}}},
    "redirect": {"listen": "127.0.0.1:18090", "redirect_to_https": {"enabled": true}}
  }
})";

const fs::path& admin_directory() {
  static fs::path directory = fuzz::ScratchDirectory::path() / "admin";
  return directory;
}

// True if every file the configuration names resolves inside the scratch directory.
bool files_inside_scratch(const config::Config& config) {
  std::string root = fs::weakly_canonical(admin_directory()).string() + "/";
  auto inside = [&](const std::string& file) {
    if (file.empty()) return true;
    std::error_code ignored;
    std::string resolved = fs::weakly_canonical(config.resolve_path(file), ignored).string();
    return resolved.compare(0, root.size(), root) == 0;
  };
  bool ok = inside(config.persistence_key_file);
  for (const auto& [name, c] : config.certificates) {
    for (const std::string* file :
         {&c.cert, &c.key, &c.chain, &c.pkcs12, &c.password_file, &c.ocsp_response}) {
      ok = ok && inside(*file);
    }
  }
  for (const auto& [name, store] : config.trust_stores) {
    ok = ok && inside(store.ca);
    for (const std::string& crl : store.crl)
      ok = ok && inside(crl);
  }
  if (config.admin) ok = ok && inside(config.admin->token_file);
  return ok;
}

// The supervisor's part, in memory.
class MemoryBackend : public admin::AdminBackend {
 public:
  MemoryBackend() {
    config::LoadResult loaded =
        config::parse_config(nlohmann::json::parse(kConfig), "", admin_directory().string());
    require(loaded.config != nullptr, "the fuzz configuration is valid");
    config::Diagnostics diagnostics;
    snapshot_ = runtime::build_snapshot(loaded.config, nullptr, diagnostics);
    require(snapshot_ != nullptr, "the fuzz snapshot builds");
  }
  std::shared_ptr<const runtime::Snapshot> snapshot() const override { return snapshot_; }
  Change change_config(std::shared_ptr<const config::Config> next,
                       const std::string& base_etag) override {
    Change change;
    if (admin::config_etag(*snapshot_->config) != base_etag) {
      change.conflict = true;
      return change;
    }
    if (!files_inside_scratch(*next)) {
      change.diagnostics.error("", "", "fuzz backend: a file outside the scratch directory");
      return change;
    }
    auto built = runtime::build_snapshot(next, snapshot_.get(), change.diagnostics);
    if (!built) return change;
    snapshot_ = built;
    change.etag = admin::config_etag(*next);
    return change;
  }
  config::Diagnostics check_config(std::shared_ptr<const config::Config> next) override {
    config::Diagnostics diagnostics;
    if (!files_inside_scratch(*next)) {
      diagnostics.error("", "", "fuzz backend: a file outside the scratch directory");
      return diagnostics;
    }
    runtime::build_snapshot(next, nullptr, diagnostics);
    return diagnostics;
  }
  const std::string& config_path() const override { return path_; }

 private:
  std::shared_ptr<const runtime::Snapshot> snapshot_;
  std::string path_ = (admin_directory() / "espd.json").string();
};

const admin::AdminAuth& loaded_auth() {
  static admin::AdminAuth auth = [] {
    log::Destinations quiet;
    quiet.path.fill("off");
    log::LogWriter::instance().configure(quiet);
    fs::path token_file = fuzz::ScratchDirectory::path() / "admin.token";
    std::ofstream(token_file) << kToken << "\n";
    ::chmod(token_file.c_str(), 0600);
    admin::AdminAuth loaded;
    std::string error = loaded.load(token_file.string(), 10);
    require(error.empty(), "the fuzz token loads", error);
    return loaded;
  }();
  return auth;
}

// A CSR with a new 2048-bit RSA key takes seconds under ASan: the target would mostly measure
// OpenSSL. Such requests are skipped (an ECDSA CSR goes through the same code otherwise).
bool asks_for_rsa_key(const admin::AdminRequest& request) {
  return request.path.size() >= 4 &&
         request.path.compare(request.path.size() - 4, 4, "/csr") == 0 &&
         request.body.find("rsa") != std::string::npos;
}

bool carried(const admin::AdminRequest& request, std::string_view secret) {
  return request.path.find(secret) != std::string::npos ||
         request.body.find(secret) != std::string::npos;
}

void check_response(const admin::AdminRequest& request, const admin::AdminResponse& response,
                    bool close) {
  std::string wire = admin::serialize_admin_response(response, close);
  std::string detail =
      request.method + " " + request.path + "\n" + request.body + "\n--- response:\n" + wire;
  require(response.status >= 200 && response.status <= 599, "a final status", detail);
  require(response.status != 500, "no internal error for anything a client sends", detail);
  for (const auto& [name, value] : response.headers) {
    require(name.find_first_of("\r\n:") == std::string::npos &&
                value.find_first_of("\r\n") == std::string::npos,
            "response fields are single lines", detail);
  }
  http1::ResponseParser parser(http1::ResponseLimits{1 << 20, 100});
  http1::ResponseHead head;
  require(parser.parse(wire, request.method == "HEAD", head) == http1::ParseStatus::kComplete,
          "the response head parses", detail);
  require(head.status == response.status, "the status on the wire", detail);
  if (response.status == 204) {
    require(parser.consumed() == wire.size() && head.body.kind == http1::BodyKind::kNone &&
                !head.headers.empty() && wire.find("Content-Length") == std::string::npos,
            "a 204 has neither body nor Content-Length", detail);
  } else if (request.method != "HEAD") {
    require(head.body.kind == http1::BodyKind::kContentLength &&
                parser.consumed() + head.body.content_length == wire.size(),
            "Content-Length frames exactly the body", detail);
  }
  require(wire.find(" Unknown\r\n") == std::string::npos, "every status has its reason", detail);
  require(head.connection_close == close, "Connection: close exactly when closing", detail);
  if (response.content_type == "application/json" && !response.body.empty()) {
    require(nlohmann::json::accept(response.body), "JSON bodies parse", detail);
  }
  if (!carried(request, kToken))
    require(wire.find(kToken) == std::string::npos, "the admin token is never echoed", detail);
  if (!carried(request, "PRIVATE KEY"))
    require(wire.find("PRIVATE KEY") == std::string::npos, "private keys never leave", detail);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  admin::AdminAuth auth = loaded_auth();
  std::error_code ignored;
  fs::remove_all(admin_directory(), ignored);  // files a previous input uploaded
  fs::create_directories(admin_directory());
  MemoryBackend backend;
  admin::AdminApi api(backend);

  std::string_view input = fuzz::as_view(data, size);
  for (size_t n = 0; n < kMaxRequests; ++n) {
    admin::AdminRead read = admin::read_admin_request(input, kMaxRequestBytes, "192.0.2.9");
    if (read.status == admin::AdminRead::Status::kIncomplete) break;
    if (read.status == admin::AdminRead::Status::kRefused) {
      check_response(admin::AdminRequest{}, read.refusal, true);
      break;
    }
    require(read.consumed > 0 && read.consumed <= input.size(), "a request lies within the input");
    input.remove_prefix(read.consumed);
    if (asks_for_rsa_key(read.request)) continue;
    admin::AdminResponse response;
    switch (auth.check(read.request.header("authorization"), read.request.client, 1000 * n)) {
      case admin::AdminAuth::Result::kOk:
        response = api.handle(read.request);
        break;
      case admin::AdminAuth::Result::kUnauthorized:
        response = admin::error_response(401, "unauthorized");
        break;
      case admin::AdminAuth::Result::kRateLimited:
        response = admin::error_response(429, "rate limited");
        break;
    }
    check_response(read.request, response, read.close);
    if (read.close) break;
  }
  return 0;
}
