// Turning the configuration's logging section into log destinations.
#include "proxy/runtime/log_setup.h"

namespace espd::runtime {
namespace {

std::string destination(const config::Config& config, const std::string& value) {
  if (value == "stderr" || value == "off") return value;
  return config.resolve_path(value);
}

log::Level parse_level(const std::string& level) {
  if (level == "debug") return log::Level::kDebug;
  if (level == "warning") return log::Level::kWarning;
  if (level == "error") return log::Level::kError;
  return log::Level::kInfo;
}

}  // namespace

log::Destinations log_destinations(const config::Config& config) {
  log::Destinations d;
  d.path[static_cast<size_t>(log::Stream::kEspd)] = destination(config, config.logging.error_log);
  d.path[static_cast<size_t>(log::Stream::kConnection)] =
      destination(config, config.logging.connections);
  d.path[static_cast<size_t>(log::Stream::kAccess)] =
      destination(config, config.logging.user_access);
  d.path[static_cast<size_t>(log::Stream::kSecurity)] =
      destination(config, config.logging.security);
  d.path[static_cast<size_t>(log::Stream::kAudit)] =
      config.admin ? destination(config, config.admin->audit_log) : "off";
  d.level = parse_level(config.logging.level);
  return d;
}

std::string apply_log_destinations(const config::Config& config) {
  return log::LogWriter::instance().configure(log_destinations(config));
}

}  // namespace espd::runtime
