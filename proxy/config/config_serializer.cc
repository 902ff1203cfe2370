// The JSON form of a configuration, defaults written out (GET /api/v1/config, saved files).
#include "proxy/config/config_loader.h"

#include <nlohmann/json.hpp>

namespace espd::config {
namespace {

using nlohmann::json;

const char* scheduling_name(Scheduling scheduling) {
  switch (scheduling) {
    case Scheduling::kRoundRobin:
      return "round_robin";
    case Scheduling::kWeightedRoundRobin:
      return "weighted_round_robin";
    case Scheduling::kLeastConnection:
      return "least_connection";
  }
  return "round_robin";
}

const char* persistence_name(PersistenceMode mode) {
  switch (mode) {
    case PersistenceMode::kNone:
      return "none";
    case PersistenceMode::kActiveCookie:
      return "active_cookie";
    case PersistenceMode::kSourceIp:
      return "source_ip";
    case PersistenceMode::kActiveCookieOrSourceIp:
      return "active_cookie_or_source_ip";
  }
  return "none";
}

json pool_json(const PoolConfig& pool) {
  json out;
  out["scheduling"] = scheduling_name(pool.scheduling);
  const PersistenceConfig& p = pool.persistence;
  out["persistence"] = {{"mode", persistence_name(p.mode)},
                        {"cookie", p.cookie},
                        {"timeout_s", p.timeout_s},
                        {"cookie_secure", p.cookie_secure},
                        {"cookie_samesite", p.cookie_samesite},
                        {"ipv4_prefix", p.ipv4_prefix},
                        {"ipv6_prefix", p.ipv6_prefix},
                        {"max_entries", p.max_entries}};
  const ReencryptConfig& r = pool.reencrypt;
  out["reencrypt"] = {{"enabled", r.enabled},
                      {"trust", r.trust},
                      {"server_name", r.server_name},
                      {"client_certificate", r.client_certificate}};
  const HealthCheckConfig& h = pool.health_check;
  if (h.enabled) {
    json health = {{"url", h.url},
                   {"host", h.host},
                   {"server_name", h.server_name},
                   {"interval_s", h.interval_s},
                   {"timeout_s", h.timeout_s},
                   {"retries", h.retries},
                   {"expect_status", h.expect_status}};
    if (h.port) health["port"] = *h.port;
    out["health_check"] = health;
  }
  out["max_idle_connections_per_server"] = pool.max_idle_connections_per_server;
  json servers = json::array();
  for (const RealServerConfig& s : pool.real_servers) {
    servers.push_back({{"address", s.address},
                       {"port", s.port},
                       {"weight", s.weight},
                       {"enabled", s.enabled},
                       {"drain", s.drain}});
  }
  out["real_servers"] = servers;
  return out;
}

json service_json(const VirtualServiceConfig& vs) {
  json out;
  out["listen"] = vs.listen;
  if (vs.tls) {
    out["tls"] = {{"certificates", vs.tls->certificates},
                  {"alpn", vs.tls->alpn},
                  {"min_version", vs.tls->min_version},
                  {"require_san_coverage", vs.tls->require_san_coverage},
                  {"session_ticket_rotation_s", vs.tls->session_ticket_rotation_s}};
  }
  out["idle_timeout_s"] = vs.idle_timeout_s;
  const LimitsConfig& l = vs.limits;
  out["limits"] = {{"max_header_bytes", l.max_header_bytes},
                   {"max_headers", l.max_headers},
                   {"max_target_bytes", l.max_target_bytes},
                   {"max_request_body_bytes", l.max_request_body_bytes},
                   {"header_timeout_s", l.header_timeout_s},
                   {"body_timeout_s", l.body_timeout_s},
                   {"min_body_rate_bytes_s", l.min_body_rate_bytes_s},
                   {"connect_timeout_s", l.connect_timeout_s},
                   {"max_connections", l.max_connections},
                   {"max_connections_per_client", l.max_connections_per_client},
                   {"h2_max_concurrent_streams", l.h2_max_concurrent_streams},
                   {"h2_max_header_list_bytes", l.h2_max_header_list_bytes},
                   {"h2_connection_buffer_bytes", l.h2_connection_buffer_bytes},
                   {"h2_stream_buffer_bytes", l.h2_stream_buffer_bytes},
                   {"h2_stall_timeout_s", l.h2_stall_timeout_s},
                   {"h2_reset_burst", l.h2_reset_burst},
                   {"h2_reset_rate_per_s", l.h2_reset_rate_per_s},
                   {"h2_control_frame_burst", l.h2_control_frame_burst},
                   {"h2_control_frame_rate_per_s", l.h2_control_frame_rate_per_s}};
  out["forwarding"] = {{"x_forwarded_for", vs.forwarding.x_forwarded_for},
                       {"x_forwarded_proto", vs.forwarding.x_forwarded_proto}};
  if (vs.redirect_to_https.enabled) {
    out["redirect_to_https"] = {{"enabled", true}, {"https_port", vs.redirect_to_https.https_port}};
  }
  const EspConfig& e = vs.esp;
  out["esp"] = {{"enabled", e.enabled},
                {"allowed_hosts", e.allowed_hosts},
                {"allowed_directories", e.allowed_directories},
                {"case_sensitive_directories", e.case_sensitive_directories},
                {"reject_status", e.reject_status},
                {"reject_body", e.reject_body},
                {"logging",
                 {{"connections", e.logging.connections},
                  {"user_access", e.logging.user_access},
                  {"security", e.logging.security}}}};
  json routes = json::array();
  for (const RouteConfig& route : vs.routes) {
    json r = {{"hosts", route.hosts}, {"paths", route.paths}, {"pool", route.pool}};
    if (!route.headers.empty()) r["headers"] = route.headers;
    routes.push_back(r);
  }
  out["routes"] = routes;
  out["default_pool"] = vs.default_pool;
  json pools = json::object();
  for (const auto& [name, pool] : vs.pools)
    pools[name] = pool_json(pool);
  out["pools"] = pools;
  return out;
}

}  // namespace

nlohmann::json to_json(const Config& config) {
  json out;
  out["workers"] = config.workers;
  out["shutdown_grace_s"] = config.shutdown_grace_s;
  out["busy_poll_us"] = config.busy_poll_us;
  out["idle_buffer_release_ms"] = config.idle_buffer_release_ms;
  out["idle_buffer_max_connections"] = config.idle_buffer_max_connections;
  out["persistence_key_file"] = config.persistence_key_file;
  const LoggingConfig& l = config.logging;
  out["logging"] = {{"level", l.level},
                    {"error_log", l.error_log},
                    {"connections", l.connections},
                    {"user_access", l.user_access},
                    {"security", l.security},
                    {"queue_records", l.queue_records}};
  if (config.admin) {
    const AdminConfig& a = *config.admin;
    out["admin"] = {{"listen", a.listen},
                    {"token_file", a.token_file},
                    {"certificates", a.certificates},
                    {"audit_log", a.audit_log},
                    {"max_request_bytes", a.max_request_bytes},
                    {"auth_failures_per_minute", a.auth_failures_per_minute}};
  }
  json certificates = json::object();
  for (const auto& [name, c] : config.certificates) {
    json entry = json::object();
    if (c.is_pkcs12()) {
      entry["pkcs12"] = c.pkcs12;
      if (!c.password_file.empty()) entry["password_file"] = c.password_file;
    } else {
      entry["cert"] = c.cert;
      if (!c.key.empty()) entry["key"] = c.key;
      if (!c.chain.empty()) entry["chain"] = c.chain;
    }
    if (!c.ocsp_response.empty()) entry["ocsp_response"] = c.ocsp_response;
    if (!c.trust.empty()) entry["trust"] = c.trust;
    certificates[name] = entry;
  }
  out["certificates"] = certificates;
  json trust_stores = json::object();
  for (const auto& [name, t] : config.trust_stores) {
    json entry = {{"ca", t.ca}};
    if (!t.crl.empty()) entry["crl"] = t.crl;
    trust_stores[name] = entry;
  }
  out["trust_stores"] = trust_stores;
  json services = json::object();
  for (const auto& [name, vs] : config.virtual_services)
    services[name] = service_json(vs);
  out["virtual_services"] = services;
  return out;
}

}  // namespace espd::config
