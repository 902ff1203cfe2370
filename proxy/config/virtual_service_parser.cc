// Turning a virtual service's JSON (listener, TLS, limits, ESP, routes, pools) into the model.
#include "proxy/config/config_parser.h"
#include "proxy/config/json_reader.h"
#include "proxy/config/object_reader.h"

namespace espd::config {
namespace {

void parse_tls(const nlohmann::json& value, const std::string& file, const std::string& pointer,
               TlsListenerConfig& out, Diagnostics& diagnostics) {
  ObjectReader reader(value, file, pointer, diagnostics);
  if (!reader.valid()) return;
  reader.string_list("certificates", out.certificates);
  reader.string_list("alpn", out.alpn);
  reader.one_of("min_version", out.min_version, {"1.2", "1.3"});
  reader.boolean("require_san_coverage", out.require_san_coverage);
  reader.unsigned_integer("session_ticket_rotation_s", out.session_ticket_rotation_s, 60, 86400);
}

void parse_limits(const nlohmann::json& value, const std::string& file, const std::string& pointer,
                  LimitsConfig& out, Diagnostics& diagnostics) {
  ObjectReader reader(value, file, pointer, diagnostics);
  if (!reader.valid()) return;
  reader.unsigned_integer("max_header_bytes", out.max_header_bytes, 1024, 1048576);
  reader.unsigned_integer("max_headers", out.max_headers, 1, 10000);
  reader.unsigned_integer("max_target_bytes", out.max_target_bytes, 64, 1048576);
  reader.unsigned_integer("max_request_body_bytes", out.max_request_body_bytes, 0,
                          UINT64_C(1) << 62);
  reader.unsigned_integer("header_timeout_s", out.header_timeout_s, 1, 3600);
  reader.unsigned_integer("body_timeout_s", out.body_timeout_s, 1, 86400);
  reader.unsigned_integer("min_body_rate_bytes_s", out.min_body_rate_bytes_s, 0, 1073741824);
  reader.unsigned_integer("connect_timeout_s", out.connect_timeout_s, 1, 3600);
  reader.unsigned_integer("max_connections", out.max_connections, 0, 100000000);
  reader.unsigned_integer("max_connections_per_client", out.max_connections_per_client, 0,
                          100000000);
  reader.unsigned_integer("h2_max_concurrent_streams", out.h2_max_concurrent_streams, 1, 10000);
  reader.unsigned_integer("h2_max_header_list_bytes", out.h2_max_header_list_bytes, 1024, 1048576);
  reader.unsigned_integer("h2_connection_buffer_bytes", out.h2_connection_buffer_bytes, 65536,
                          1073741824);
  reader.unsigned_integer("h2_stream_buffer_bytes", out.h2_stream_buffer_bytes, 16384, 16777216);
  reader.unsigned_integer("h2_stall_timeout_s", out.h2_stall_timeout_s, 1, 86400);
  reader.unsigned_integer("h2_reset_burst", out.h2_reset_burst, 1, 1000000);
  reader.unsigned_integer("h2_reset_rate_per_s", out.h2_reset_rate_per_s, 1, 1000000);
  reader.unsigned_integer("h2_control_frame_burst", out.h2_control_frame_burst, 1, 1000000);
  reader.unsigned_integer("h2_control_frame_rate_per_s", out.h2_control_frame_rate_per_s, 1,
                          1000000);
}

void parse_esp(const nlohmann::json& value, const std::string& file, const std::string& pointer,
               EspConfig& out, Diagnostics& diagnostics) {
  ObjectReader reader(value, file, pointer, diagnostics);
  if (!reader.valid()) return;
  reader.boolean("enabled", out.enabled);
  reader.string_list("allowed_hosts", out.allowed_hosts);
  reader.string_list("allowed_directories", out.allowed_directories);
  reader.boolean("case_sensitive_directories", out.case_sensitive_directories);
  reader.unsigned_integer("reject_status", out.reject_status, 100, 599);
  reader.string("reject_body", out.reject_body);
  if (const nlohmann::json* logging = reader.member("logging")) {
    ObjectReader log_reader(*logging, file, pointer + "/logging", diagnostics);
    log_reader.boolean("connections", out.logging.connections);
    log_reader.boolean("user_access", out.logging.user_access);
    log_reader.boolean("security", out.logging.security);
  }
}

void parse_route(const nlohmann::json& value, const std::string& file, const std::string& pointer,
                 RouteConfig& out, Diagnostics& diagnostics) {
  ObjectReader reader(value, file, pointer, diagnostics);
  if (!reader.valid()) return;
  reader.string_list("hosts", out.hosts);
  reader.string_list("paths", out.paths);
  reader.string("pool", out.pool, /*required=*/true);
  if (const nlohmann::json* headers = reader.member("headers")) {
    if (!headers->is_object()) {
      diagnostics.error(
          file, pointer + "/headers",
          "expected an object of header name to pattern, got " + json_type_name(*headers));
      return;
    }
    for (const auto& [name, pattern] : headers->items()) {
      if (!pattern.is_string()) {
        diagnostics.error(file, pointer + "/headers/" + json_pointer_token(name),
                          "expected a string (an RE2 pattern), got " + json_type_name(pattern));
        continue;
      }
      out.headers[name] = pattern.get<std::string>();
    }
  }
}

void parse_persistence(const nlohmann::json& value, const std::string& file,
                       const std::string& pointer, PersistenceConfig& out,
                       Diagnostics& diagnostics) {
  ObjectReader reader(value, file, pointer, diagnostics);
  if (!reader.valid()) return;
  std::string mode = "none";
  reader.one_of("mode", mode, {"none", "active_cookie", "source_ip", "active_cookie_or_source_ip"});
  if (mode == "active_cookie") out.mode = PersistenceMode::kActiveCookie;
  if (mode == "source_ip") out.mode = PersistenceMode::kSourceIp;
  if (mode == "active_cookie_or_source_ip") out.mode = PersistenceMode::kActiveCookieOrSourceIp;
  reader.string("cookie", out.cookie);
  reader.unsigned_integer("timeout_s", out.timeout_s, 1, 31536000);
  reader.boolean("cookie_secure", out.cookie_secure);
  reader.one_of("cookie_samesite", out.cookie_samesite, {"", "Strict", "Lax", "None"});
  reader.unsigned_integer("ipv4_prefix", out.ipv4_prefix, 1, 32);
  reader.unsigned_integer("ipv6_prefix", out.ipv6_prefix, 1, 128);
  reader.unsigned_integer("max_entries", out.max_entries, 1, 100000000);
}

void parse_reencrypt(const nlohmann::json& value, const std::string& file,
                     const std::string& pointer, ReencryptConfig& out, Diagnostics& diagnostics) {
  ObjectReader reader(value, file, pointer, diagnostics);
  if (!reader.valid()) return;
  reader.boolean("enabled", out.enabled);
  reader.string("trust", out.trust);
  reader.string("server_name", out.server_name);
  reader.string("client_certificate", out.client_certificate);
}

void parse_health_check(const nlohmann::json& value, const std::string& file,
                        const std::string& pointer, HealthCheckConfig& out,
                        Diagnostics& diagnostics) {
  ObjectReader reader(value, file, pointer, diagnostics);
  if (!reader.valid()) return;
  out.enabled = true;
  reader.boolean("enabled", out.enabled);
  if (reader.has("port")) {
    uint16_t port = 0;
    reader.unsigned_integer("port", port, 1, 65535);
    if (port) out.port = port;
  }
  reader.string("url", out.url);
  reader.string("host", out.host);
  reader.string("server_name", out.server_name);
  reader.unsigned_integer("interval_s", out.interval_s, 1, 3600);
  reader.unsigned_integer("timeout_s", out.timeout_s, 1, 3600);
  reader.unsigned_integer("retries", out.retries, 1, 10);
  if (const nlohmann::json* statuses = reader.member("expect_status")) {
    if (!statuses->is_array()) {
      diagnostics.error(file, pointer + "/expect_status",
                        "expected an array of status codes, got " + json_type_name(*statuses));
    } else {
      out.expect_status.clear();
      for (size_t i = 0; i < statuses->size(); ++i) {
        const nlohmann::json& status = (*statuses)[i];
        if (!status.is_number_integer() || status.get<int64_t>() < 100 ||
            status.get<int64_t>() > 599) {
          diagnostics.error(file, pointer + "/expect_status/" + std::to_string(i),
                            "must be a status code 100..599, got " + status.dump());
          continue;
        }
        out.expect_status.push_back(static_cast<uint16_t>(status.get<uint64_t>()));
      }
      if (out.expect_status.empty() && statuses->empty()) {
        diagnostics.error(file, pointer + "/expect_status", "must list at least one status");
      }
    }
  }
}

void parse_real_server(const nlohmann::json& value, const std::string& file,
                       const std::string& pointer, RealServerConfig& out,
                       Diagnostics& diagnostics) {
  ObjectReader reader(value, file, pointer, diagnostics);
  if (!reader.valid()) return;
  reader.string("address", out.address, /*required=*/true);
  reader.unsigned_integer("port", out.port, 1, 65535, /*required=*/true);
  reader.unsigned_integer("weight", out.weight, 1, 65535);
  reader.boolean("enabled", out.enabled);
  reader.boolean("drain", out.drain);
}

void parse_pool(const nlohmann::json& value, const std::string& file, const std::string& pointer,
                PoolConfig& out, Diagnostics& diagnostics) {
  ObjectReader reader(value, file, pointer, diagnostics);
  if (!reader.valid()) return;
  std::string scheduling = "round_robin";
  reader.one_of("scheduling", scheduling,
                {"round_robin", "weighted_round_robin", "least_connection"});
  if (scheduling == "weighted_round_robin") out.scheduling = Scheduling::kWeightedRoundRobin;
  if (scheduling == "least_connection") out.scheduling = Scheduling::kLeastConnection;
  if (const nlohmann::json* v = reader.member("persistence")) {
    parse_persistence(*v, file, pointer + "/persistence", out.persistence, diagnostics);
  }
  if (const nlohmann::json* v = reader.member("reencrypt")) {
    parse_reencrypt(*v, file, pointer + "/reencrypt", out.reencrypt, diagnostics);
  }
  if (const nlohmann::json* v = reader.member("health_check")) {
    parse_health_check(*v, file, pointer + "/health_check", out.health_check, diagnostics);
  }
  reader.unsigned_integer("max_idle_connections_per_server", out.max_idle_connections_per_server, 0,
                          100000);
  if (const nlohmann::json* servers = reader.member("real_servers")) {
    if (!servers->is_array()) {
      diagnostics.error(file, pointer + "/real_servers",
                        "expected an array of real servers, got " + json_type_name(*servers));
    } else {
      for (size_t i = 0; i < servers->size(); ++i) {
        RealServerConfig server;
        parse_real_server((*servers)[i], file, pointer + "/real_servers/" + std::to_string(i),
                          server, diagnostics);
        out.real_servers.push_back(std::move(server));
      }
    }
  }
}

}  // namespace

void parse_virtual_service(const nlohmann::json& value, const std::string& file,
                           const std::string& pointer, VirtualServiceConfig& out,
                           Diagnostics& diagnostics) {
  ObjectReader reader(value, file, pointer, diagnostics);
  if (!reader.valid()) return;
  reader.string("listen", out.listen, /*required=*/true);
  if (const nlohmann::json* v = reader.member("tls")) {
    out.tls.emplace();
    parse_tls(*v, file, pointer + "/tls", *out.tls, diagnostics);
  }
  reader.unsigned_integer("idle_timeout_s", out.idle_timeout_s, 1, 86400);
  if (const nlohmann::json* v = reader.member("limits")) {
    parse_limits(*v, file, pointer + "/limits", out.limits, diagnostics);
  }
  if (const nlohmann::json* v = reader.member("forwarding")) {
    ObjectReader forwarding(*v, file, pointer + "/forwarding", diagnostics);
    forwarding.boolean("x_forwarded_for", out.forwarding.x_forwarded_for);
    forwarding.boolean("x_forwarded_proto", out.forwarding.x_forwarded_proto);
  }
  if (const nlohmann::json* v = reader.member("redirect_to_https")) {
    ObjectReader redirect(*v, file, pointer + "/redirect_to_https", diagnostics);
    out.redirect_to_https.enabled = true;
    redirect.boolean("enabled", out.redirect_to_https.enabled);
    redirect.unsigned_integer("https_port", out.redirect_to_https.https_port, 1, 65535);
  }
  if (const nlohmann::json* v = reader.member("esp")) {
    parse_esp(*v, file, pointer + "/esp", out.esp, diagnostics);
  }
  if (const nlohmann::json* routes = reader.member("routes")) {
    if (!routes->is_array()) {
      diagnostics.error(file, pointer + "/routes",
                        "expected an array of routes, got " + json_type_name(*routes));
    } else {
      for (size_t i = 0; i < routes->size(); ++i) {
        RouteConfig route;
        parse_route((*routes)[i], file, pointer + "/routes/" + std::to_string(i), route,
                    diagnostics);
        out.routes.push_back(std::move(route));
      }
    }
  }
  reader.string("default_pool", out.default_pool);
  if (const nlohmann::json* pools = reader.member("pools")) {
    if (!pools->is_object()) {
      diagnostics.error(file, pointer + "/pools",
                        "expected an object of named pools, got " + json_type_name(*pools));
    } else {
      for (const auto& [name, pool_value] : pools->items()) {
        std::string pool_pointer = pointer + "/pools/" + json_pointer_token(name);
        if (!is_valid_entity_name(name)) {
          diagnostics.error(file, pool_pointer,
                            "invalid name \"" + name +
                                "\": use 1-64 letters, digits, '.', '_' or '-', starting with a "
                                "letter or digit");
          continue;
        }
        PoolConfig pool;
        parse_pool(pool_value, file, pool_pointer, pool, diagnostics);
        out.pools.emplace(name, std::move(pool));
      }
    }
  }
}

}  // namespace espd::config
