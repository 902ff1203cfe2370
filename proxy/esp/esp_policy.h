// A virtual service's ESP policy: which hosts and directories are published, and the answer for
// everything else. Built once per snapshot.
#pragma once

#include <cstdint>
#include <string>

#include "proxy/config/config_model.h"
#include "proxy/esp/directory_matcher.h"
#include "proxy/esp/host_matcher.h"

namespace espd::esp {

struct EspPolicy {
  explicit EspPolicy(const config::EspConfig& config)
      : enabled(config.enabled),
        hosts(config.allowed_hosts),
        directories(config.allowed_directories, config.case_sensitive_directories),
        reject_status(config.reject_status),
        reject_body(config.reject_body),
        log_connections(config.logging.connections),
        log_user_access(config.logging.user_access),
        log_security(config.logging.security) {}
  EspPolicy() = default;

  bool enabled = false;
  HostMatcher hosts;
  DirectoryMatcher directories;
  uint16_t reject_status = 403;
  std::string reject_body;
  bool log_connections = true;
  bool log_user_access = true;
  bool log_security = true;
};

}  // namespace espd::esp
