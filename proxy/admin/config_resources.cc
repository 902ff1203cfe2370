// The configuration resources of the admin API.
#include "proxy/admin/config_resources.h"

#include "proxy/admin/json_merge_patch.h"
#include "proxy/config/config_loader.h"
#include "proxy/config/config_parser.h"
#include "proxy/net/socket_address.h"
#include "proxy/runtime/snapshot.h"

namespace espd::admin {
namespace {

using nlohmann::json;

AdminResponse not_found(const std::string& what) {
  return error_response(404, what + " does not exist");
}

// The JSON of one service, or null.
json* service_in(json& document, const std::string& name) {
  json& services = document["virtual_services"];
  if (!services.is_object() || !services.contains(name)) return nullptr;
  return &services[name];
}

json* pool_in(json& document, const std::string& service, const std::string& pool) {
  json* vs = service_in(document, service);
  if (!vs || !(*vs)["pools"].is_object() || !(*vs)["pools"].contains(pool)) return nullptr;
  return &(*vs)["pools"][pool];
}

// Index of real server `id` ("address:port") in a pool's array, or -1.
int real_server_index(const json& pool, const std::string& id) {
  auto wanted = net::parse_socket_address(id);
  if (!wanted || !pool.contains("real_servers")) return -1;
  const json& servers = pool["real_servers"];
  for (size_t i = 0; i < servers.size(); ++i) {
    const json& server = servers[i];
    if (!server.contains("address") || !server["address"].is_string() ||
        !server["port"].is_number_unsigned()) {
      continue;
    }
    auto address = net::make_socket_address(server["address"].get<std::string>(),
                                            server["port"].get<uint16_t>());
    if (address && *address == *wanted) return static_cast<int>(i);
  }
  return -1;
}

// "address:port" of a real server's JSON. The JSON may come straight from a request body, of any
// shape: the configuration check refuses it afterwards with the details, so this only must not
// throw (a 500) on it.
std::string real_server_id(const json& server) {
  std::string address;
  uint64_t port = 0;
  if (server.is_object() && server.contains("address") && server["address"].is_string())
    address = server["address"].get<std::string>();
  if (server.is_object() && server.contains("port") && server["port"].is_number_unsigned())
    port = server["port"].get<uint64_t>();
  auto parsed =
      port <= 65535 ? net::make_socket_address(address, static_cast<uint16_t>(port)) : std::nullopt;
  return parsed ? parsed->to_string() : address + ":" + std::to_string(port);
}

std::optional<AdminResponse> take_name(json& body, std::string& name, const char* what) {
  if (!body.is_object()) return error_response(400, "the body must be a JSON object");
  if (!body.contains("name") || !body["name"].is_string()) {
    return error_response(422, std::string("the ") + what + " needs a \"name\"", "/name");
  }
  name = body["name"].get<std::string>();
  body.erase("name");
  if (!config::is_valid_entity_name(name)) {
    return error_response(
        422, "invalid name \"" + name + "\": use 1-64 letters, digits, '.', '_' or '-'", "/name");
  }
  return std::nullopt;
}

json with_name(json entity, const std::string& name) {
  entity["name"] = name;
  return entity;
}

// Pools a service refers to (default pool, routes): deleting one of them is refused.
bool pool_in_use(const json& service, const std::string& pool) {
  if (service.value("default_pool", "") == pool) return true;
  if (service.contains("routes")) {
    for (const json& route : service["routes"]) {
      if (route.value("pool", "") == pool) return true;
    }
  }
  return false;
}

}  // namespace

AdminResponse ConfigResources::get_config() {
  std::string etag;
  json document = editor_.current(&etag);
  AdminResponse response = json_response(200, document);
  response.headers.emplace_back("ETag", etag);
  return response;
}

AdminResponse ConfigResources::put_config(const AdminRequest& request, const json& body) {
  if (!body.is_object()) return error_response(400, "the body must be a JSON object");
  return editor_.change(
      request,
      [&](json& document) -> std::optional<AdminResponse> {
        document = body;
        return std::nullopt;
      },
      200, [](const json& document) { return document; });
}

AdminResponse ConfigResources::validate_config(const json& body) {
  if (!body.is_object()) return error_response(400, "the body must be a JSON object");
  std::shared_ptr<const runtime::Snapshot> snapshot = backend_.snapshot();
  config::LoadResult parsed = config::parse_config(body, "", snapshot->config->base_dir);
  config::Diagnostics diagnostics = parsed.diagnostics;
  if (parsed.config) diagnostics.append(backend_.check_config(parsed.config));
  if (diagnostics.has_errors()) return validation_error(diagnostics);
  json warnings = json::array();
  for (const config::Diagnostic& d : diagnostics.all())
    warnings.push_back(d.to_string());
  // The configuration as espd would hold it (defaults written out): what a diff should compare.
  return json_response(
      200, {{"valid", true}, {"warnings", warnings}, {"config", config::to_json(*parsed.config)}});
}

AdminResponse ConfigResources::list_services() {
  json document = editor_.current();
  json list = json::array();
  for (const auto& [name, service] : document["virtual_services"].items()) {
    list.push_back(with_name(service, name));
  }
  return json_response(200, list);
}

AdminResponse ConfigResources::create_service(const AdminRequest& request, const json& body) {
  json entity = body;
  std::string name;
  if (auto refusal = take_name(entity, name, "virtual service")) return *refusal;
  return editor_.change(
      request,
      [&](json& document) -> std::optional<AdminResponse> {
        if (service_in(document, name)) {
          return error_response(409, "virtual service \"" + name + "\" already exists");
        }
        document["virtual_services"][name] = entity;
        return std::nullopt;
      },
      201,
      [&](const json& document) { return with_name(document["virtual_services"][name], name); });
}

AdminResponse ConfigResources::get_service(const std::string& name) {
  json document = editor_.current();
  json* service = service_in(document, name);
  if (!service) return not_found("virtual service \"" + name + "\"");
  return json_response(200, with_name(*service, name));
}

AdminResponse ConfigResources::put_service(const AdminRequest& request, const std::string& name,
                                           const json& body) {
  if (!body.is_object()) return error_response(400, "the body must be a JSON object");
  json entity = body;
  entity.erase("name");
  bool existed = false;
  AdminResponse response = editor_.change(
      request,
      [&](json& document) -> std::optional<AdminResponse> {
        existed = service_in(document, name) != nullptr;
        document["virtual_services"][name] = entity;
        return std::nullopt;
      },
      200,
      [&](const json& document) { return with_name(document["virtual_services"][name], name); });
  if (response.status == 200 && !existed) response.status = 201;
  return response;
}

AdminResponse ConfigResources::patch_service(const AdminRequest& request, const std::string& name,
                                             const json& patch) {
  return editor_.change(
      request,
      [&](json& document) -> std::optional<AdminResponse> {
        json* service = service_in(document, name);
        if (!service) return not_found("virtual service \"" + name + "\"");
        apply_merge_patch(*service, patch);
        return std::nullopt;
      },
      200,
      [&](const json& document) { return with_name(document["virtual_services"][name], name); });
}

AdminResponse ConfigResources::delete_service(const AdminRequest& request,
                                              const std::string& name) {
  AdminResponse response = editor_.change(
      request,
      [&](json& document) -> std::optional<AdminResponse> {
        if (!service_in(document, name)) return not_found("virtual service \"" + name + "\"");
        document["virtual_services"].erase(name);
        return std::nullopt;
      },
      204, [](const json&) { return json(); });
  if (response.status == 204) response.body.clear();
  return response;
}

AdminResponse ConfigResources::list_pools(const std::string& service) {
  json document = editor_.current();
  json* vs = service_in(document, service);
  if (!vs) return not_found("virtual service \"" + service + "\"");
  json list = json::array();
  for (const auto& [name, pool] : (*vs)["pools"].items())
    list.push_back(with_name(pool, name));
  return json_response(200, list);
}

AdminResponse ConfigResources::create_pool(const AdminRequest& request, const std::string& service,
                                           const json& body) {
  json entity = body;
  std::string name;
  if (auto refusal = take_name(entity, name, "pool")) return *refusal;
  return editor_.change(
      request,
      [&](json& document) -> std::optional<AdminResponse> {
        json* vs = service_in(document, service);
        if (!vs) return not_found("virtual service \"" + service + "\"");
        if ((*vs)["pools"].contains(name)) {
          return error_response(409, "pool \"" + name + "\" already exists in \"" + service + "\"");
        }
        (*vs)["pools"][name] = entity;
        return std::nullopt;
      },
      201,
      [&](const json& document) {
        return with_name(document["virtual_services"][service]["pools"][name], name);
      });
}

AdminResponse ConfigResources::get_pool(const std::string& service, const std::string& pool) {
  json document = editor_.current();
  json* found = pool_in(document, service, pool);
  if (!found) return not_found("pool \"" + pool + "\" of \"" + service + "\"");
  return json_response(200, with_name(*found, pool));
}

AdminResponse ConfigResources::put_pool(const AdminRequest& request, const std::string& service,
                                        const std::string& pool, const json& body) {
  if (!body.is_object()) return error_response(400, "the body must be a JSON object");
  json entity = body;
  entity.erase("name");
  bool existed = false;
  AdminResponse response = editor_.change(
      request,
      [&](json& document) -> std::optional<AdminResponse> {
        json* vs = service_in(document, service);
        if (!vs) return not_found("virtual service \"" + service + "\"");
        existed = (*vs)["pools"].contains(pool);
        (*vs)["pools"][pool] = entity;
        return std::nullopt;
      },
      200,
      [&](const json& document) {
        return with_name(document["virtual_services"][service]["pools"][pool], pool);
      });
  if (response.status == 200 && !existed) response.status = 201;
  return response;
}

AdminResponse ConfigResources::patch_pool(const AdminRequest& request, const std::string& service,
                                          const std::string& pool, const json& patch) {
  return editor_.change(
      request,
      [&](json& document) -> std::optional<AdminResponse> {
        json* found = pool_in(document, service, pool);
        if (!found) return not_found("pool \"" + pool + "\" of \"" + service + "\"");
        apply_merge_patch(*found, patch);
        return std::nullopt;
      },
      200,
      [&](const json& document) {
        return with_name(document["virtual_services"][service]["pools"][pool], pool);
      });
}

AdminResponse ConfigResources::delete_pool(const AdminRequest& request, const std::string& service,
                                           const std::string& pool) {
  AdminResponse response = editor_.change(
      request,
      [&](json& document) -> std::optional<AdminResponse> {
        json* vs = service_in(document, service);
        if (!vs || !(*vs)["pools"].contains(pool)) {
          return not_found("pool \"" + pool + "\" of \"" + service + "\"");
        }
        if (pool_in_use(*vs, pool)) {
          return error_response(
              409,
              "pool \"" + pool + "\" is the default pool or a route's pool of \"" + service + "\"");
        }
        (*vs)["pools"].erase(pool);
        return std::nullopt;
      },
      204, [](const json&) { return json(); });
  if (response.status == 204) response.body.clear();
  return response;
}

AdminResponse ConfigResources::list_real_servers(const std::string& service,
                                                 const std::string& pool) {
  json document = editor_.current();
  json* found = pool_in(document, service, pool);
  if (!found) return not_found("pool \"" + pool + "\" of \"" + service + "\"");
  json list = json::array();
  for (const json& server : (*found)["real_servers"])
    list.push_back(with_name(server, real_server_id(server)));
  return json_response(200, list);
}

AdminResponse ConfigResources::create_real_server(const AdminRequest& request,
                                                  const std::string& service,
                                                  const std::string& pool, const json& body) {
  if (!body.is_object()) return error_response(400, "the body must be a JSON object");
  std::string id = real_server_id(body);
  AdminResponse response = editor_.change(
      request,
      [&](json& document) -> std::optional<AdminResponse> {
        json* found = pool_in(document, service, pool);
        if (!found) return not_found("pool \"" + pool + "\" of \"" + service + "\"");
        if (real_server_index(*found, id) >= 0) {
          return error_response(409, "real server " + id + " is already in pool \"" + pool + "\"");
        }
        (*found)["real_servers"].push_back(body);
        return std::nullopt;
      },
      201,
      [&](const json& document) {
        const json& servers = document["virtual_services"][service]["pools"][pool]["real_servers"];
        return with_name(servers.back(), id);
      });
  return response;
}

AdminResponse ConfigResources::get_real_server(const std::string& service, const std::string& pool,
                                               const std::string& id) {
  json document = editor_.current();
  json* found = pool_in(document, service, pool);
  int index = found ? real_server_index(*found, id) : -1;
  if (index < 0) return not_found("real server " + id + " of pool \"" + pool + "\"");
  return json_response(200, with_name((*found)["real_servers"][index], id));
}

AdminResponse ConfigResources::put_real_server(const AdminRequest& request,
                                               const std::string& service, const std::string& pool,
                                               const std::string& id, const json& body) {
  if (!body.is_object()) return error_response(400, "the body must be a JSON object");
  return editor_.change(
      request,
      [&](json& document) -> std::optional<AdminResponse> {
        json* found = pool_in(document, service, pool);
        int index = found ? real_server_index(*found, id) : -1;
        if (index < 0) return not_found("real server " + id + " of pool \"" + pool + "\"");
        (*found)["real_servers"][index] = body;
        return std::nullopt;
      },
      200,
      [&](const json& document) {
        json pool_json = document["virtual_services"][service]["pools"][pool];
        int index = real_server_index(pool_json, real_server_id(body));
        return index >= 0 ? with_name(pool_json["real_servers"][index], real_server_id(body))
                          : json();
      });
}

AdminResponse ConfigResources::patch_real_server(const AdminRequest& request,
                                                 const std::string& service,
                                                 const std::string& pool, const std::string& id,
                                                 const json& patch) {
  std::string new_id = id;
  return editor_.change(
      request,
      [&](json& document) -> std::optional<AdminResponse> {
        json* found = pool_in(document, service, pool);
        int index = found ? real_server_index(*found, id) : -1;
        if (index < 0) return not_found("real server " + id + " of pool \"" + pool + "\"");
        apply_merge_patch((*found)["real_servers"][index], patch);
        new_id = real_server_id((*found)["real_servers"][index]);
        return std::nullopt;
      },
      200,
      [&](const json& document) {
        json pool_json = document["virtual_services"][service]["pools"][pool];
        int index = real_server_index(pool_json, new_id);
        return index >= 0 ? with_name(pool_json["real_servers"][index], new_id) : json();
      });
}

AdminResponse ConfigResources::delete_real_server(const AdminRequest& request,
                                                  const std::string& service,
                                                  const std::string& pool, const std::string& id) {
  AdminResponse response = editor_.change(
      request,
      [&](json& document) -> std::optional<AdminResponse> {
        json* found = pool_in(document, service, pool);
        int index = found ? real_server_index(*found, id) : -1;
        if (index < 0) return not_found("real server " + id + " of pool \"" + pool + "\"");
        (*found)["real_servers"].erase(static_cast<size_t>(index));
        return std::nullopt;
      },
      204, [](const json&) { return json(); });
  if (response.status == 204) response.body.clear();
  return response;
}

}  // namespace espd::admin
