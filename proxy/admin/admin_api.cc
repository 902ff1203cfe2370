// The admin REST API router.
#include "proxy/admin/admin_api.h"

#include "proxy/admin/status_report.h"
#include "proxy/config/json_reader.h"

namespace espd::admin {
namespace {

using nlohmann::json;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

AdminResponse method_not_allowed(const std::string& allow) {
  AdminResponse response = error_response(405, "method not allowed here; allowed: " + allow);
  response.headers.emplace_back("Allow", allow);
  return response;
}

// Parses the request body as JSON for methods that carry one.
bool read_body(const AdminRequest& request, json& body, AdminResponse& refusal) {
  const std::string* type = request.header("content-type");
  std::string media = type ? type->substr(0, type->find(';')) : "";
  while (!media.empty() && media.back() == ' ')
    media.pop_back();
  bool json_type = media == "application/json" ||
                   (request.method == "PATCH" && media == "application/merge-patch+json");
  if (!json_type) {
    refusal = error_response(415, request.method == "PATCH"
                                      ? "send application/merge-patch+json (or application/json)"
                                      : "send application/json");
    return false;
  }
  config::Diagnostics diagnostics;
  auto parsed = config::parse_json_text(request.body, "", diagnostics);
  if (!parsed) {
    const config::Diagnostic& d = diagnostics.all().front();
    refusal = error_response(400, "malformed JSON: " + d.message, d.json_path);
    return false;
  }
  body = std::move(*parsed);
  return true;
}

}  // namespace

bool split_path(const std::string& path, std::vector<std::string>& segments) {
  segments.clear();
  std::string current;
  bool in_segment = false;
  for (size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c == '/') {
      if (in_segment) segments.push_back(current);
      current.clear();
      in_segment = false;
      continue;
    }
    in_segment = true;
    if (c == '%') {
      if (i + 2 >= path.size() || hex_value(path[i + 1]) < 0 || hex_value(path[i + 2]) < 0)
        return false;
      current.push_back(static_cast<char>(hex_value(path[i + 1]) * 16 + hex_value(path[i + 2])));
      i += 2;
      continue;
    }
    current.push_back(c);
  }
  if (in_segment) segments.push_back(current);
  return true;
}

std::vector<std::string> AdminApi::routes() {
  return {
      "GET /api/v1/config",
      "PUT /api/v1/config",
      "POST /api/v1/config/validate",
      "GET /api/v1/virtual-services",
      "POST /api/v1/virtual-services",
      "GET /api/v1/virtual-services/{name}",
      "PUT /api/v1/virtual-services/{name}",
      "PATCH /api/v1/virtual-services/{name}",
      "DELETE /api/v1/virtual-services/{name}",
      "GET /api/v1/virtual-services/{name}/pools",
      "POST /api/v1/virtual-services/{name}/pools",
      "GET /api/v1/virtual-services/{name}/pools/{pool}",
      "PUT /api/v1/virtual-services/{name}/pools/{pool}",
      "PATCH /api/v1/virtual-services/{name}/pools/{pool}",
      "DELETE /api/v1/virtual-services/{name}/pools/{pool}",
      "GET /api/v1/virtual-services/{name}/pools/{pool}/real-servers",
      "POST /api/v1/virtual-services/{name}/pools/{pool}/real-servers",
      "GET /api/v1/virtual-services/{name}/pools/{pool}/real-servers/{server}",
      "PUT /api/v1/virtual-services/{name}/pools/{pool}/real-servers/{server}",
      "PATCH /api/v1/virtual-services/{name}/pools/{pool}/real-servers/{server}",
      "DELETE /api/v1/virtual-services/{name}/pools/{pool}/real-servers/{server}",
      "GET /api/v1/certificates",
      "POST /api/v1/certificates",
      "GET /api/v1/certificates/{name}",
      "DELETE /api/v1/certificates/{name}",
      "POST /api/v1/certificates/{name}/csr",
      "GET /api/v1/status",
      "GET /metrics",
  };
}

AdminResponse AdminApi::handle(const AdminRequest& request) {
  std::vector<std::string> s;
  if (!split_path(request.path, s))
    return error_response(400, "invalid percent-encoding in the path");
  const std::string& m = request.method;
  bool has_body = m == "POST" || m == "PUT" || m == "PATCH";
  json body;
  AdminResponse refusal;
  auto with_body = [&](auto handler) -> AdminResponse {
    if (!read_body(request, body, refusal)) return refusal;
    return handler();
  };
  (void)has_body;

  if (s.size() == 1 && s[0] == "metrics") {
    if (m != "GET") return method_not_allowed("GET");
    AdminResponse response;
    response.content_type = "text/plain; version=0.0.4";
    response.body = prometheus_metrics(*backend_.snapshot());
    return response;
  }
  if (s.size() < 3 || s[0] != "api" || s[1] != "v1") return error_response(404, "no such resource");
  const std::string& kind = s[2];
  size_t n = s.size();

  if (kind == "status" && n == 3) {
    if (m != "GET") return method_not_allowed("GET");
    return json_response(200, status_document(*backend_.snapshot()));
  }
  if (kind == "config") {
    if (n == 3) {
      if (m == "GET") return config_.get_config();
      if (m == "PUT") return with_body([&] { return config_.put_config(request, body); });
      return method_not_allowed("GET, PUT");
    }
    if (n == 4 && s[3] == "validate") {
      if (m == "POST") return with_body([&] { return config_.validate_config(body); });
      return method_not_allowed("POST");
    }
  }
  if (kind == "virtual-services") {
    if (n == 3) {
      if (m == "GET") return config_.list_services();
      if (m == "POST") return with_body([&] { return config_.create_service(request, body); });
      return method_not_allowed("GET, POST");
    }
    const std::string& vs = s[3];
    if (n == 4) {
      if (m == "GET") return config_.get_service(vs);
      if (m == "PUT") return with_body([&] { return config_.put_service(request, vs, body); });
      if (m == "PATCH") return with_body([&] { return config_.patch_service(request, vs, body); });
      if (m == "DELETE") return config_.delete_service(request, vs);
      return method_not_allowed("GET, PUT, PATCH, DELETE");
    }
    if (s[4] == "pools") {
      if (n == 5) {
        if (m == "GET") return config_.list_pools(vs);
        if (m == "POST") return with_body([&] { return config_.create_pool(request, vs, body); });
        return method_not_allowed("GET, POST");
      }
      const std::string& pool = s[5];
      if (n == 6) {
        if (m == "GET") return config_.get_pool(vs, pool);
        if (m == "PUT") return with_body([&] { return config_.put_pool(request, vs, pool, body); });
        if (m == "PATCH")
          return with_body([&] { return config_.patch_pool(request, vs, pool, body); });
        if (m == "DELETE") return config_.delete_pool(request, vs, pool);
        return method_not_allowed("GET, PUT, PATCH, DELETE");
      }
      if (s[6] == "real-servers") {
        if (n == 7) {
          if (m == "GET") return config_.list_real_servers(vs, pool);
          if (m == "POST") {
            return with_body([&] { return config_.create_real_server(request, vs, pool, body); });
          }
          return method_not_allowed("GET, POST");
        }
        if (n == 8) {
          const std::string& id = s[7];
          if (m == "GET") return config_.get_real_server(vs, pool, id);
          if (m == "PUT") {
            return with_body([&] { return config_.put_real_server(request, vs, pool, id, body); });
          }
          if (m == "PATCH") {
            return with_body(
                [&] { return config_.patch_real_server(request, vs, pool, id, body); });
          }
          if (m == "DELETE") return config_.delete_real_server(request, vs, pool, id);
          return method_not_allowed("GET, PUT, PATCH, DELETE");
        }
      }
    }
  }
  if (kind == "certificates") {
    if (n == 3) {
      if (m == "GET") return certificates_.list();
      if (m == "POST") return with_body([&] { return certificates_.upload(request, body); });
      return method_not_allowed("GET, POST");
    }
    if (n == 4) {
      if (m == "GET") return certificates_.get(s[3]);
      if (m == "DELETE") return certificates_.remove(request, s[3]);
      return method_not_allowed("GET, DELETE");
    }
    if (n == 5 && s[4] == "csr") {
      if (m == "POST") return with_body([&] { return certificates_.create_csr(s[3], body); });
      return method_not_allowed("POST");
    }
  }
  return error_response(404, "no such resource");
}

}  // namespace espd::admin
