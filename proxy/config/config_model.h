// The typed configuration model: what a configuration file (or the admin API) says, validated.
//
// These structs are plain data. They are produced only by the config parser, which has already
// checked types, ranges, unknown keys and references, and are never mutated afterwards: the
// runtime shares them as `std::shared_ptr<const Config>`. File paths are kept exactly as written
// (usually relative); resolve them with `Config::resolve_path` against the configuration
// directory. Defaults below are the documented defaults (docs/CONFIG.md).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace espd::config {

// "stderr", "off" or a file path (relative to the configuration directory).
using LogDestination = std::string;

struct LoggingConfig {
  std::string level = "info";  // debug | info | warning | error
  LogDestination error_log = "stderr";
  LogDestination connections = "stderr";
  LogDestination user_access = "stderr";
  LogDestination security = "stderr";
  uint32_t queue_records = 65536;  // per worker; records beyond it are dropped and counted
};

struct AdminConfig {
  std::string listen = "127.0.0.1:9000";
  std::string token_file;                 // required
  std::vector<std::string> certificates;  // TLS on the admin listener; required off loopback
  LogDestination audit_log = "audit.log";
  uint64_t max_request_bytes = 8 * 1024 * 1024;
  uint32_t auth_failures_per_minute = 10;  // per client address
};

struct CertificateConfig {
  // PEM form: cert (may also hold the key and the chain), key, chain.
  std::string cert;
  std::string key;
  std::string chain;
  // PKCS#12 form.
  std::string pkcs12;
  std::string password_file;
  // Optional DER OCSP response to staple.
  std::string ocsp_response;
  // Optional trust store the chain must be complete up to (checked at load).
  std::string trust;
  std::string source_file;  // the configuration file that defined it (diagnostics)

  bool is_pkcs12() const { return !pkcs12.empty(); }
};

struct TrustStoreConfig {
  std::string ca;                // PEM bundle of CA certificates
  std::vector<std::string> crl;  // PEM CRL files, checked for real-server certificates
  std::string source_file;
};

struct TlsListenerConfig {
  std::vector<std::string> certificates;  // names; the first serves clients without SNI
  std::vector<std::string> alpn = {"h2", "http/1.1"};
  std::string min_version = "1.2";    // "1.2" | "1.3"
  bool require_san_coverage = false;  // SAN coverage gaps become errors, not warnings
  uint32_t session_ticket_rotation_s = 3600;
};

struct EspLoggingConfig {
  bool connections = true;
  bool user_access = true;
  bool security = true;
};

struct EspConfig {
  bool enabled = false;
  std::vector<std::string> allowed_hosts;
  std::vector<std::string> allowed_directories = {"/*"};
  bool case_sensitive_directories = false;
  uint16_t reject_status = 403;
  std::string reject_body = "Forbidden\n";
  EspLoggingConfig logging;
};

struct RouteConfig {
  std::vector<std::string> hosts;              // exact or "*.suffix"; empty: any host
  std::vector<std::string> paths;              // RE2, anchored; empty: any path
  std::map<std::string, std::string> headers;  // header name (any case) -> RE2, anchored
  std::string pool;
};

enum class Scheduling { kRoundRobin, kWeightedRoundRobin, kLeastConnection };

enum class PersistenceMode { kNone, kActiveCookie, kSourceIp, kActiveCookieOrSourceIp };

struct PersistenceConfig {
  PersistenceMode mode = PersistenceMode::kNone;
  std::string cookie = "MS-WSMAN";
  uint32_t timeout_s = 1200;
  bool cookie_secure = false;
  std::string cookie_samesite;  // "" (not sent) | "Strict" | "Lax" | "None"
  uint8_t ipv4_prefix = 32;
  uint8_t ipv6_prefix = 64;
  uint32_t max_entries = 100000;
};

struct ReencryptConfig {
  bool enabled = true;
  std::string trust;               // trust store name; empty: the system CA store
  std::string server_name;         // SNI and name verified; empty: the real server's address
  std::string client_certificate;  // certificate name for mutual TLS; empty: none
};

struct HealthCheckConfig {
  bool enabled = false;          // true when the "health_check" object is present
  std::optional<uint16_t> port;  // empty: the real server's port
  std::string url = "/healthcheck.html";
  std::string host;         // Host header; empty: reencrypt.server_name or the address
  std::string server_name;  // SNI / verified name; empty: reencrypt.server_name or the address
  uint32_t interval_s = 9;
  uint32_t timeout_s = 4;
  uint32_t retries = 2;
  std::vector<uint16_t> expect_status = {200};
};

struct RealServerConfig {
  std::string address;  // IPv4 or IPv6 literal
  uint16_t port = 0;
  uint32_t weight = 1000;  // 1..65535
  bool enabled = true;
  bool drain = false;
};

struct PoolConfig {
  Scheduling scheduling = Scheduling::kRoundRobin;
  PersistenceConfig persistence;
  ReencryptConfig reencrypt;
  HealthCheckConfig health_check;
  uint32_t max_idle_connections_per_server = 32;  // per worker
  std::vector<RealServerConfig> real_servers;
};

struct LimitsConfig {
  uint32_t max_header_bytes = 65536;  // request line + header fields
  uint32_t max_headers = 100;
  uint32_t max_target_bytes = 8192;         // request-target (path and query); longer: 414
  uint64_t max_request_body_bytes = 0;      // 0: unlimited
  uint32_t header_timeout_s = 20;           // first byte of a request to the end of its head
  uint32_t body_timeout_s = 60;             // a request body without a byte for this long: 408
  uint32_t min_body_rate_bytes_s = 240;     // a body slower than this over body_timeout_s: 408
  uint32_t connect_timeout_s = 5;           // TCP + TLS toward a real server
  uint32_t max_connections = 0;             // per listener, all workers; 0: unlimited
  uint32_t max_connections_per_client = 0;  // per client address; 0: unlimited
  uint32_t h2_max_concurrent_streams = 100;
  uint32_t h2_max_header_list_bytes = 65536;
  uint32_t h2_connection_buffer_bytes = 1048576;  // request and response bodies, all streams
  uint32_t h2_stream_buffer_bytes = 65536;        // each direction of one stream
  uint32_t h2_stall_timeout_s = 60;               // a response held by a zero flow-control window
  uint32_t h2_reset_burst = 100;                  // streams reset by the client (rapid reset)
  uint32_t h2_reset_rate_per_s = 10;
  uint32_t h2_control_frame_burst = 1000;      // SETTINGS, PING, WINDOW_UPDATE, PRIORITY, empty
  uint32_t h2_control_frame_rate_per_s = 100;  // frames, malformed streams: each counted apart
};

struct ForwardingConfig {
  bool x_forwarded_for = true;
  bool x_forwarded_proto = true;
};

struct RedirectConfig {
  bool enabled = false;  // plain HTTP service answering every request with 301 to https
  uint16_t https_port = 443;
};

struct VirtualServiceConfig {
  std::string listen;                    // "address:port", IPv6 as "[::]:443"
  std::optional<TlsListenerConfig> tls;  // absent: plain HTTP
  uint32_t idle_timeout_s = 1800;
  LimitsConfig limits;
  ForwardingConfig forwarding;
  RedirectConfig redirect_to_https;
  EspConfig esp;
  std::vector<RouteConfig> routes;
  std::string default_pool;
  std::map<std::string, PoolConfig> pools;
  std::string source_file;
};

struct Config {
  uint32_t workers = 0;  // 0: one per core
  uint32_t shutdown_grace_s = 30;
  // Microseconds a worker keeps polling for events before it sleeps (0: it sleeps at once). See
  // docs/CONFIG.md: fewer wake-ups for busy peers in a VM, at the price of CPU while idle.
  uint32_t busy_poll_us = 0;
  // Milliseconds a connection stays idle before it hands back its TLS record buffers, I/O blocks
  // and HTTP/2 frame pages (0: at once). Keeps them across the short gaps of keep-alive traffic.
  uint32_t idle_buffer_release_ms = 1000;
  // At most this many idle connections per worker keep their buffers (the longest idle releases
  // first): bounds what the delay adds to memory when many connections arrive at once.
  uint32_t idle_buffer_max_connections = 256;
  std::string persistence_key_file = "persistence.key";
  LoggingConfig logging;
  std::optional<AdminConfig> admin;
  std::map<std::string, CertificateConfig> certificates;
  std::map<std::string, TrustStoreConfig> trust_stores;
  std::map<std::string, VirtualServiceConfig> virtual_services;

  // Not part of the JSON: where relative paths are resolved (the configuration directory), and
  // which file set each top-level key (directory mode; the admin API writes changes back there).
  std::string base_dir;
  std::map<std::string, std::string> top_level_files;

  // An absolute path stays as it is; a relative one is joined to base_dir.
  std::string resolve_path(const std::string& path) const;
};

}  // namespace espd::config
