// Turning a JSON document into the typed model (types, ranges, defaults, unknown keys), and the
// semantic checks across it (config_validator.cc).
#pragma once

#include <nlohmann/json.hpp>

#include "proxy/config/config_model.h"
#include "proxy/config/diagnostic.h"
#include "proxy/config/source_map.h"

namespace espd::config {

// Fills `config` from `document`; every problem is reported, parsing goes on where it can.
void parse_document(const nlohmann::json& document, const SourceMap& sources, Config& config,
                    Diagnostics& diagnostics);

// Cross-checks of a parsed configuration: references, listen conflicts, patterns, warnings.
void validate_config(Config& config, const SourceMap& sources, Diagnostics& diagnostics);

// Names of certificates, trust stores, virtual services and pools: they appear in URLs of the
// admin API, so 1-64 characters of letters, digits, ".", "_", "-", starting alphanumeric.
bool is_valid_entity_name(const std::string& name);

}  // namespace espd::config
