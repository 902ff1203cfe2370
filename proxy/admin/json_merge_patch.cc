// JSON Merge Patch (RFC 7396).
#include "proxy/admin/json_merge_patch.h"

namespace espd::admin {

void apply_merge_patch(nlohmann::json& target, const nlohmann::json& patch) {
  if (!patch.is_object()) {
    target = patch;
    return;
  }
  if (!target.is_object()) target = nlohmann::json::object();
  for (const auto& [key, value] : patch.items()) {
    if (value.is_null()) {
      target.erase(key);
    } else {
      apply_merge_patch(target[key], value);
    }
  }
}

}  // namespace espd::admin
