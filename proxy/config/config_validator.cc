// Semantic checks across a parsed configuration: references, listen conflicts, patterns, names.
#include <re2/re2.h>

#include <set>

#include "proxy/config/config_parser.h"
#include "proxy/config/json_reader.h"
#include "proxy/net/socket_address.h"

namespace espd::config {
namespace {

// A host name (LDH labels, "_" tolerated), "*." + host name, or an IP literal.
bool is_host_pattern(std::string_view pattern) {
  if (pattern.size() > 2 && pattern.substr(0, 2) == "*.") pattern.remove_prefix(2);
  if (net::is_ip_literal(pattern)) return true;
  if (pattern.empty() || pattern.size() > 253) return false;
  size_t label = 0;
  for (size_t i = 0; i <= pattern.size(); ++i) {
    if (i == pattern.size() || pattern[i] == '.') {
      if (label == 0 || label > 63) return false;
      if (pattern[i - label] == '-' || pattern[i - 1] == '-') return false;
      label = 0;
      continue;
    }
    char c = pattern[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return false;
    ++label;
  }
  return true;
}

bool is_directory_pattern(std::string_view pattern) {
  if (pattern.empty() || pattern.front() != '/') return false;
  for (unsigned char c : pattern) {
    if (c <= 0x20 || c >= 0x7f || c == '?' || c == '#' || c == '\\') return false;
  }
  return true;
}

// RFC 6265 cookie-name = token.
bool is_cookie_name(const std::string& name) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    if (c <= 0x20 || c >= 0x7f) return false;
    if (std::string_view("()<>@,;:\\\"/[]?={}").find(static_cast<char>(c)) !=
        std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool is_header_name(const std::string& name) {
  return is_cookie_name(name);
}

bool compiles(const std::string& pattern, std::string& error) {
  RE2::Options options;
  options.set_log_errors(false);
  RE2 re(pattern, options);
  if (re.ok()) return true;
  error = re.error();
  return false;
}

// Two listen addresses collide when the ports are equal and the IPs equal, or one is the
// wildcard of the same family.
bool collide(const net::SocketAddress& a, const net::SocketAddress& b) {
  if (a.port() != b.port() || a.family() != b.family()) return false;
  return a == b || a.is_wildcard() || b.is_wildcard();
}

struct Listener {
  net::SocketAddress address;
  std::string file;
  std::string pointer;
};

void check_listen(const std::string& text, const std::string& file, const std::string& pointer,
                  std::vector<Listener>& seen, Diagnostics& diagnostics) {
  auto address = net::parse_socket_address(text);
  if (!address) {
    diagnostics.error(
        file, pointer,
        "must be \"IPv4:port\" or \"[IPv6]:port\" with port 1..65535, got \"" + text + "\"");
    return;
  }
  for (const Listener& other : seen) {
    if (collide(*address, other.address)) {
      diagnostics.error(file, pointer,
                        "\"" + text + "\" collides with " + other.address.to_string() + " at " +
                            (other.file.empty() ? "" : other.file + ": ") + other.pointer);
      return;
    }
  }
  seen.push_back({*address, file, pointer});
}

void validate_pool(const Config& config, const std::string& file, const std::string& pointer,
                   const PoolConfig& pool, Diagnostics& diagnostics) {
  const PersistenceConfig& persistence = pool.persistence;
  if (!is_cookie_name(persistence.cookie)) {
    diagnostics.error(file, pointer + "/persistence/cookie",
                      "\"" + persistence.cookie + "\" is not a valid cookie name");
  }
  if (persistence.cookie_samesite == "None" && !persistence.cookie_secure) {
    diagnostics.error(file, pointer + "/persistence/cookie_samesite",
                      "SameSite=None requires cookie_secure: true (browsers drop the cookie "
                      "otherwise)");
  }
  const ReencryptConfig& reencrypt = pool.reencrypt;
  if (!reencrypt.trust.empty() && !config.trust_stores.count(reencrypt.trust)) {
    diagnostics.error(file, pointer + "/reencrypt/trust",
                      "trust store \"" + reencrypt.trust + "\" is not defined in /trust_stores");
  }
  if (!reencrypt.client_certificate.empty() &&
      !config.certificates.count(reencrypt.client_certificate)) {
    diagnostics.error(
        file, pointer + "/reencrypt/client_certificate",
        "certificate \"" + reencrypt.client_certificate + "\" is not defined in /certificates");
  }
  const HealthCheckConfig& health = pool.health_check;
  if (health.enabled) {
    if (health.url.empty() || health.url.front() != '/') {
      diagnostics.error(file, pointer + "/health_check/url",
                        "must be a path starting with \"/\", got \"" + health.url + "\"");
    }
    if (health.timeout_s > health.interval_s) {
      diagnostics.error(file, pointer + "/health_check/timeout_s",
                        "must not exceed interval_s (" + std::to_string(health.interval_s) +
                            "), got " + std::to_string(health.timeout_s));
    }
  }
  std::set<std::string> endpoints;
  bool any_enabled = false;
  for (size_t i = 0; i < pool.real_servers.size(); ++i) {
    const RealServerConfig& server = pool.real_servers[i];
    std::string server_pointer = pointer + "/real_servers/" + std::to_string(i);
    auto address = net::make_socket_address(server.address, server.port ? server.port : 1);
    any_enabled = any_enabled || server.enabled;
    if (!server.address.empty() && !address) {
      diagnostics.error(file, server_pointer + "/address",
                        "must be an IPv4 or IPv6 address, got \"" + server.address + "\"");
      continue;
    }
    if (!address || server.port == 0) continue;
    if (!endpoints.insert(address->to_string()).second) {
      diagnostics.error(file, server_pointer,
                        "real server " + address->to_string() + " is listed twice in this pool");
    }
  }
  if (!pool.real_servers.empty() && !any_enabled) {
    diagnostics.warning(file, pointer + "/real_servers",
                        "every real server is disabled: the pool answers 503");
  }
}

void validate_service(Config& config, const std::string& name, VirtualServiceConfig& service,
                      std::vector<Listener>& listeners, Diagnostics& diagnostics) {
  const std::string& file = service.source_file;
  const std::string pointer = "/virtual_services/" + json_pointer_token(name);
  if (!service.listen.empty())
    check_listen(service.listen, file, pointer + "/listen", listeners, diagnostics);

  if (service.tls) {
    const TlsListenerConfig& tls = *service.tls;
    if (tls.certificates.empty()) {
      diagnostics.error(file, pointer + "/tls/certificates", "must name at least one certificate");
    }
    for (size_t i = 0; i < tls.certificates.size(); ++i) {
      if (!config.certificates.count(tls.certificates[i])) {
        diagnostics.error(
            file, pointer + "/tls/certificates/" + std::to_string(i),
            "certificate \"" + tls.certificates[i] + "\" is not defined in /certificates");
      }
    }
    std::set<std::string> protocols;
    if (tls.alpn.empty()) diagnostics.error(file, pointer + "/tls/alpn", "must not be empty");
    for (size_t i = 0; i < tls.alpn.size(); ++i) {
      if (tls.alpn[i] != "h2" && tls.alpn[i] != "http/1.1") {
        diagnostics.error(file, pointer + "/tls/alpn/" + std::to_string(i),
                          "must be \"h2\" or \"http/1.1\", got \"" + tls.alpn[i] + "\"");
      } else if (!protocols.insert(tls.alpn[i]).second) {
        diagnostics.error(file, pointer + "/tls/alpn/" + std::to_string(i),
                          "\"" + tls.alpn[i] + "\" is listed twice");
      }
    }
  }

  const LimitsConfig& limits = service.limits;
  if (limits.h2_stream_buffer_bytes > limits.h2_connection_buffer_bytes) {
    diagnostics.error(file, pointer + "/limits/h2_stream_buffer_bytes",
                      "must not exceed h2_connection_buffer_bytes (" +
                          std::to_string(limits.h2_connection_buffer_bytes) + "), got " +
                          std::to_string(limits.h2_stream_buffer_bytes));
  }

  if (service.redirect_to_https.enabled) {
    if (service.tls) {
      diagnostics.error(file, pointer + "/redirect_to_https",
                        "a TLS virtual service cannot redirect to https: remove one of them");
    }
  } else if (service.pools.empty()) {
    diagnostics.error(file, pointer + "/pools", "a virtual service needs at least one pool");
  }

  if (service.default_pool.empty() && service.pools.size() == 1) {
    service.default_pool = service.pools.begin()->first;
  }
  if (!service.default_pool.empty() && !service.pools.count(service.default_pool)) {
    diagnostics.error(
        file, pointer + "/default_pool",
        "pool \"" + service.default_pool + "\" is not defined in this virtual service's pools");
  } else if (service.default_pool.empty() && service.pools.size() > 1) {
    diagnostics.error(file, pointer + "/default_pool",
                      "required when a virtual service has several pools");
  }

  const EspConfig& esp = service.esp;
  for (size_t i = 0; i < esp.allowed_hosts.size(); ++i) {
    if (!is_host_pattern(esp.allowed_hosts[i])) {
      diagnostics.error(
          file, pointer + "/esp/allowed_hosts/" + std::to_string(i),
          "\"" + esp.allowed_hosts[i] + "\" is not a host name, \"*.\" + host name, or IP address");
    }
  }
  for (size_t i = 0; i < esp.allowed_directories.size(); ++i) {
    if (!is_directory_pattern(esp.allowed_directories[i])) {
      diagnostics.error(file, pointer + "/esp/allowed_directories/" + std::to_string(i),
                        "\"" + esp.allowed_directories[i] +
                            "\" must start with \"/\" and contain no spaces, \"?\", \"#\" or "
                            "\"\\\"");
    }
  }
  if (esp.enabled && esp.allowed_hosts.empty()) {
    diagnostics.warning(file, pointer + "/esp/allowed_hosts",
                        "ESP is enabled and no host is allowed: every request will be refused "
                        "with " +
                            std::to_string(esp.reject_status));
  }

  for (size_t r = 0; r < service.routes.size(); ++r) {
    const RouteConfig& route = service.routes[r];
    std::string route_pointer = pointer + "/routes/" + std::to_string(r);
    if (!route.pool.empty() && !service.pools.count(route.pool)) {
      diagnostics.error(
          file, route_pointer + "/pool",
          "pool \"" + route.pool + "\" is not defined in this virtual service's pools");
    }
    for (size_t i = 0; i < route.hosts.size(); ++i) {
      if (!is_host_pattern(route.hosts[i])) {
        diagnostics.error(
            file, route_pointer + "/hosts/" + std::to_string(i),
            "\"" + route.hosts[i] + "\" is not a host name, \"*.\" + host name, or IP address");
      }
    }
    std::string error;
    for (size_t i = 0; i < route.paths.size(); ++i) {
      if (!compiles(route.paths[i], error)) {
        diagnostics.error(file, route_pointer + "/paths/" + std::to_string(i),
                          "invalid RE2 pattern: " + error);
      }
    }
    for (const auto& [header, pattern] : route.headers) {
      std::string header_pointer = route_pointer + "/headers/" + json_pointer_token(header);
      if (!is_header_name(header)) {
        diagnostics.error(file, header_pointer, "\"" + header + "\" is not a header name");
      }
      if (!compiles(pattern, error)) {
        diagnostics.error(file, header_pointer, "invalid RE2 pattern: " + error);
      }
    }
  }

  for (const auto& [pool_name, pool] : service.pools) {
    validate_pool(config, file, pointer + "/pools/" + json_pointer_token(pool_name), pool,
                  diagnostics);
  }
}

}  // namespace

void validate_config(Config& config, const SourceMap& sources, Diagnostics& diagnostics) {
  std::vector<Listener> listeners;
  for (const auto& [name, certificate] : config.certificates) {
    if (!certificate.trust.empty() && !config.trust_stores.count(certificate.trust)) {
      diagnostics.error(
          certificate.source_file, "/certificates/" + json_pointer_token(name) + "/trust",
          "trust store \"" + certificate.trust + "\" is not defined in /trust_stores");
    }
  }
  if (config.admin) {
    const AdminConfig& admin = *config.admin;
    const std::string& file = sources.file_for("/admin");
    check_listen(admin.listen, file, "/admin/listen", listeners, diagnostics);
    for (size_t i = 0; i < admin.certificates.size(); ++i) {
      if (!config.certificates.count(admin.certificates[i])) {
        diagnostics.error(
            file, "/admin/certificates/" + std::to_string(i),
            "certificate \"" + admin.certificates[i] + "\" is not defined in /certificates");
      }
    }
    auto address = net::parse_socket_address(admin.listen);
    if (address && !address->is_loopback() && admin.certificates.empty()) {
      diagnostics.error(file, "/admin/certificates",
                        "the admin API listens on a non-loopback address (" + admin.listen +
                            "): name a certificate so it is served over TLS");
    }
  }
  for (auto& [name, service] : config.virtual_services) {
    validate_service(config, name, service, listeners, diagnostics);
  }
}

}  // namespace espd::config
