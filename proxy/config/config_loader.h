// Reading configuration files (one file, or a directory of *.json in name order) into a Config.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "proxy/config/config_model.h"
#include "proxy/config/diagnostic.h"

namespace espd::config {

struct LoadResult {
  std::shared_ptr<const Config> config;   // null when there are errors
  Diagnostics diagnostics;                // every error and warning found, not just the first
  std::shared_ptr<const Config> partial;  // what could be parsed, even with errors (for --check)
};

// Loads a file or a directory. In a directory, every "*.json" file (not hidden, not recursive) is
// read in name order and merged: named entities (certificates, trust_stores, virtual_services)
// may come from any file but a name defined twice is an error naming both files; a top-level
// scalar or object (workers, admin, logging, ...) may be set by one file only.
LoadResult load_config(const std::string& path);

// Parses and validates one JSON document (the admin API's body, or one merged document).
// `source` names it in diagnostics; `base_dir` resolves relative paths.
LoadResult parse_config(const nlohmann::json& document, const std::string& source,
                        const std::string& base_dir);

// The JSON a user would write for this configuration (defaults included), so that
// parse_config(to_json(c)) == c.
nlohmann::json to_json(const Config& config);

}  // namespace espd::config
