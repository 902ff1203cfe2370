// The configuration as the admin API sees it: JSON, its ETag, the files it lives in.
#pragma once

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "proxy/config/config_model.h"

namespace espd::admin {

// A strong ETag for a configuration: "\"<16 hex digits of SHA-256 of its JSON>\"".
std::string config_etag(const config::Config& config);

// `next` came from the API as JSON, so it knows no files: every entity and top-level key that
// `previous` had keeps its file; new ones go to `config_path` when it is a file, else to the file
// that holds entities of the same kind (or "90-admin-api.json" in the configuration directory).
void adopt_sources(config::Config& next, const config::Config& previous,
                   const std::string& config_path);

// Writes `config` to the files it came from, atomically (see config_files.h). Returns "" or the
// error. Files no longer holding anything are written as "{}".
std::string save_config(const config::Config& config, const std::string& config_path);

}  // namespace espd::admin
