// The admin REST API: routes a request to its resource. Sockets, TLS and authentication are the
// HTTP server's (admin_http_server.h); this part is pure request -> response.
#pragma once

#include <string>
#include <vector>

#include "proxy/admin/admin_types.h"
#include "proxy/admin/certificate_resources.h"
#include "proxy/admin/config_resources.h"

namespace espd::admin {

class AdminApi {
 public:
  explicit AdminApi(AdminBackend& backend)
      : backend_(backend), config_(backend), certificates_(backend) {}

  AdminResponse handle(const AdminRequest& request);

  // Every route as "METHOD /path/{param}", for the OpenAPI consistency test and espctl.
  static std::vector<std::string> routes();

 private:
  AdminBackend& backend_;
  ConfigResources config_;
  CertificateResources certificates_;
};

// Splits "/a/b%2Fc/" into {"a", "b/c"} (percent-decoded), or fails on a bad escape.
bool split_path(const std::string& path, std::vector<std::string>& segments);

}  // namespace espd::admin
