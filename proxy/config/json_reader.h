// Reading a JSON configuration file strictly: syntax errors with line and column, duplicate keys
// refused (a later "listen" silently replacing an earlier one is how typos hide).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "proxy/config/diagnostic.h"

namespace espd::config {

// `display_name` is how diagnostics name the file. Returns nothing after reporting the error.
std::optional<nlohmann::json> read_json_file(const std::string& path,
                                             const std::string& display_name,
                                             Diagnostics& diagnostics);

// The same for text already in memory (admin API bodies).
std::optional<nlohmann::json> parse_json_text(const std::string& text,
                                              const std::string& display_name,
                                              Diagnostics& diagnostics);

// RFC 6901: "~" -> "~0", "/" -> "~1".
std::string json_pointer_token(const std::string& key);

}  // namespace espd::config
