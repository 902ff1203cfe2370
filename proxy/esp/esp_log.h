// The three ESP log streams: connections, user access (one record per request) and security
// (every refusal with its reason). Each is switched per virtual service; records are JSON lines
// queued to the log writer, never blocking a worker.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/esp/esp_policy.h"
#include "proxy/net/socket_address.h"

namespace espd::esp {

// What a request looked like, for its access or security record.
struct RequestFacts {
  std::string method;
  std::string host;
  std::string path;  // normalised when it could be; else as received
  bool http2 = false;
};

struct AccessRecord {
  RequestFacts request;
  uint16_t status = 0;
  uint64_t bytes_from_client = 0;
  uint64_t bytes_to_client = 0;
  uint64_t duration_ms = 0;
  std::string pool;
  std::string real_server;
  std::string persistence;  // "none", "cookie", "cookie_set", "source_ip", ...
};

struct ConnectionRecord {
  std::string event;  // "open" or "close"
  std::string tls_version;
  std::string cipher;
  std::string sni;
  std::string alpn;
  uint64_t duration_ms = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
};

bool access_log_enabled(const EspPolicy& policy);
bool security_log_enabled(const EspPolicy& policy);
bool connection_log_enabled(const EspPolicy& policy);

void log_security(const EspPolicy& policy, std::string_view virtual_service,
                  const net::SocketAddress& client, std::string_view reason,
                  std::string_view detail, uint16_t status, const RequestFacts* request);
void log_access(const EspPolicy& policy, std::string_view virtual_service,
                const net::SocketAddress& client, const AccessRecord& record);
void log_connection(const EspPolicy& policy, std::string_view virtual_service,
                    const net::SocketAddress& client, const ConnectionRecord& record);

}  // namespace espd::esp
