// Which file each part of a configuration document came from.
#include "proxy/config/source_map.h"

namespace espd::config {

const std::string& SourceMap::file_for(const std::string& pointer) const {
  const std::string* best = &default_;
  size_t best_length = 0;
  for (const auto& [prefix, file] : files_) {
    bool matches = pointer.compare(0, prefix.size(), prefix) == 0 &&
                   (pointer.size() == prefix.size() || pointer[prefix.size()] == '/');
    if (matches && prefix.size() >= best_length) {
      best = &file;
      best_length = prefix.size();
    }
  }
  return *best;
}

}  // namespace espd::config
