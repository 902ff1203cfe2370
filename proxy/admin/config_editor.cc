// One admin API write as one configuration change.
#include "proxy/admin/config_editor.h"

#include "proxy/admin/config_document.h"
#include "proxy/config/config_loader.h"

namespace espd::admin {

AdminResponse validation_error(const config::Diagnostics& diagnostics) {
  nlohmann::json all = nlohmann::json::array();
  const config::Diagnostic* first = nullptr;
  for (const config::Diagnostic& d : diagnostics.all()) {
    all.push_back(d.to_string());
    if (!first && d.severity == config::Severity::kError) first = &d;
  }
  AdminResponse response = error_response(422, first ? first->message : "invalid configuration",
                                          first ? first->json_path : "");
  nlohmann::json body = nlohmann::json::parse(response.body);
  body["diagnostics"] = all;
  response.body = body.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return response;
}

nlohmann::json ConfigEditor::current(std::string* etag) const {
  std::shared_ptr<const runtime::Snapshot> snapshot = backend_.snapshot();
  if (etag) *etag = config_etag(*snapshot->config);
  return config::to_json(*snapshot->config);
}

AdminResponse ConfigEditor::change(const AdminRequest& request, const Edit& edit, uint16_t status,
                                   const Body& body) {
  const std::string* if_match = request.header("if-match");
  // Without If-Match, a change that raced with another one is simply recomputed on the new
  // configuration; with it, the client asked to fail instead.
  for (int attempt = 0; attempt < 5; ++attempt) {
    std::shared_ptr<const runtime::Snapshot> snapshot = backend_.snapshot();
    const config::Config& previous = *snapshot->config;
    std::string etag = config_etag(previous);
    if (if_match && *if_match != etag && *if_match != "*") {
      return error_response(412, "the configuration changed since " + *if_match + " (now " + etag +
                                     "): read it again");
    }
    nlohmann::json document = config::to_json(previous);
    if (std::optional<AdminResponse> refusal = edit(document)) return *refusal;
    config::LoadResult parsed = config::parse_config(document, "", previous.base_dir);
    if (!parsed.config) return validation_error(parsed.diagnostics);
    auto next = std::make_shared<config::Config>(*parsed.config);
    adopt_sources(*next, previous, backend_.config_path());
    AdminBackend::Change result = backend_.change_config(next, etag);
    if (result.conflict) {
      if (if_match)
        return error_response(412, "the configuration changed meanwhile: read it again");
      continue;
    }
    if (result.diagnostics.has_errors()) return validation_error(result.diagnostics);
    if (!result.save_error.empty()) {
      return error_response(
          500, "the change could not be saved, so it was not applied: " + result.save_error);
    }
    AdminResponse response = json_response(status, body(document));
    response.headers.emplace_back("ETag", result.etag);
    return response;
  }
  return error_response(409, "the configuration keeps changing: try again");
}

}  // namespace espd::admin
