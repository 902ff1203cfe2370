// What the running proxy is doing, from the snapshot and its live state: the status document of
// GET /api/v1/status and the Prometheus text of GET /metrics.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "proxy/runtime/snapshot.h"

namespace espd::admin {

nlohmann::json status_document(const runtime::Snapshot& snapshot);
std::string prometheus_metrics(const runtime::Snapshot& snapshot);

}  // namespace espd::admin
