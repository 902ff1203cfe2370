// Path resolution for the configuration model.
#include "proxy/config/config_model.h"

#include <filesystem>

namespace espd::config {

std::string Config::resolve_path(const std::string& path) const {
  if (path.empty() || path.front() == '/' || base_dir.empty()) return path;
  return (std::filesystem::path(base_dir) / path).lexically_normal().string();
}

}  // namespace espd::config
