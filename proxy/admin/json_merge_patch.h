// JSON Merge Patch (RFC 7396): the body of every PATCH of the admin API.
#pragma once

#include <nlohmann/json.hpp>

namespace espd::admin {

// Applies `patch` to `target`: objects merge member by member, null removes a member, anything
// else replaces. A patch that is not an object replaces the target.
void apply_merge_patch(nlohmann::json& target, const nlohmann::json& patch);

}  // namespace espd::admin
