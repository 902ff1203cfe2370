// Requests and responses of the admin API, independent of sockets (so handlers are unit-testable
// and fuzzable), and what the API needs from the running process.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "proxy/config/config_model.h"
#include "proxy/config/diagnostic.h"
#include "proxy/runtime/snapshot.h"

namespace espd::admin {

struct AdminRequest {
  std::string method;
  std::string path;                            // percent-decoded, no query
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string client;  // IP address

  const std::string* header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? nullptr : &it->second;
  }
};

struct AdminResponse {
  uint16_t status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // ETag, Location, Allow, ...
};

AdminResponse json_response(uint16_t status, const nlohmann::json& body);
// {"error": {"status": 422, "message": "...", "path": "/virtual_services/x/..."}}
AdminResponse error_response(uint16_t status, const std::string& message,
                             const std::string& path = {});

// What the API needs from the running process (implemented by the supervisor).
class AdminBackend {
 public:
  virtual ~AdminBackend() = default;

  virtual std::shared_ptr<const runtime::Snapshot> snapshot() const = 0;

  struct Change {
    config::Diagnostics diagnostics;  // errors: nothing changed
    bool conflict = false;            // the configuration changed since `base_etag`
    std::string save_error;           // applied, but could not be saved: rolled back
    std::string etag;                 // of the new configuration
  };
  // Validates `next` completely (certificates, listeners), applies it live and saves it
  // atomically, all under one lock and only if the running configuration still has `base_etag`.
  virtual Change change_config(std::shared_ptr<const config::Config> next,
                               const std::string& base_etag) = 0;
  // The same validation as --check (certificates loaded), nothing applied.
  virtual config::Diagnostics check_config(std::shared_ptr<const config::Config> next) = 0;

  // The file or directory espd was started with.
  virtual const std::string& config_path() const = 0;
};

}  // namespace espd::admin
