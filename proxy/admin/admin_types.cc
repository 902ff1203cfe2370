// Responses of the admin API.
#include "proxy/admin/admin_types.h"

namespace espd::admin {

AdminResponse json_response(uint16_t status, const nlohmann::json& body) {
  AdminResponse response;
  response.status = status;
  // Messages quote what the client sent (names from the URL, bytes from a broken JSON body),
  // which need not be UTF-8: replaced by U+FFFD rather than failing the whole response.
  response.body = body.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return response;
}

AdminResponse error_response(uint16_t status, const std::string& message, const std::string& path) {
  nlohmann::json error = {{"status", status}, {"message", message}};
  if (!path.empty()) error["path"] = path;
  return json_response(status, {{"error", error}});
}

}  // namespace espd::admin
