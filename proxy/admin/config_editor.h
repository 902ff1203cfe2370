// One admin API write: an edit of the configuration JSON, then If-Match, validation of the whole
// new configuration, live application and atomic saving, as one change.
#pragma once

#include <functional>
#include <optional>

#include "proxy/admin/admin_types.h"

namespace espd::admin {

class ConfigEditor {
 public:
  explicit ConfigEditor(AdminBackend& backend) : backend_(backend) {}

  // `edit` changes the document, or returns a response (404, 409, 400) to send instead.
  // On success the response has `status`, the new ETag, and `body(document)`.
  using Edit = std::function<std::optional<AdminResponse>(nlohmann::json& document)>;
  using Body = std::function<nlohmann::json(const nlohmann::json& document)>;
  AdminResponse change(const AdminRequest& request, const Edit& edit, uint16_t status,
                       const Body& body);

  // The current configuration as JSON, with its ETag.
  nlohmann::json current(std::string* etag = nullptr) const;

 private:
  AdminBackend& backend_;
};

// 422 from diagnostics: the first error's message and pointer, and all of them.
AdminResponse validation_error(const config::Diagnostics& diagnostics);

}  // namespace espd::admin
