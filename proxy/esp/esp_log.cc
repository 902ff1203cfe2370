// The three ESP log streams: connections, user access and security.
#include "proxy/esp/esp_log.h"

#include "proxy/log/event.h"

namespace espd::esp {

bool access_log_enabled(const EspPolicy& policy) {
  return policy.log_user_access && log::LogWriter::instance().enabled(log::Stream::kAccess);
}

bool security_log_enabled(const EspPolicy& policy) {
  return policy.log_security && log::LogWriter::instance().enabled(log::Stream::kSecurity);
}

bool connection_log_enabled(const EspPolicy& policy) {
  return policy.log_connections && log::LogWriter::instance().enabled(log::Stream::kConnection);
}

void log_security(const EspPolicy& policy, std::string_view virtual_service,
                  const net::SocketAddress& client, std::string_view reason,
                  std::string_view detail, uint16_t status, const RequestFacts* request) {
  if (!security_log_enabled(policy)) return;
  log::JsonLine line = log::stream_record(log::Stream::kSecurity);
  line.field("virtual_service", virtual_service)
      .field("client", client.ip_string())
      .field("client_port", client.port())
      .field("reason", reason);
  if (!detail.empty()) line.field("detail", detail);
  if (status) line.field("status", status);
  if (request) {
    line.field("method", request->method).field("host", request->host).field("path", request->path);
  }
  log::LogWriter::instance().submit(log::Stream::kSecurity, line.finish());
}

void log_access(const EspPolicy& policy, std::string_view virtual_service,
                const net::SocketAddress& client, const AccessRecord& record) {
  if (!access_log_enabled(policy)) return;
  log::JsonLine line = log::stream_record(log::Stream::kAccess);
  line.field("virtual_service", virtual_service)
      .field("client", client.ip_string())
      .field("client_port", client.port())
      .field("protocol", record.request.http2 ? "HTTP/2" : "HTTP/1.1")
      .field("method", record.request.method)
      .field("host", record.request.host)
      .field("path", record.request.path)
      .field("status", record.status)
      .field("bytes_in", record.bytes_from_client)
      .field("bytes_out", record.bytes_to_client)
      .field("duration_ms", record.duration_ms)
      .field("pool", record.pool)
      .field("real_server", record.real_server)
      .field("persistence", record.persistence.empty() ? std::string("none") : record.persistence);
  log::LogWriter::instance().submit(log::Stream::kAccess, line.finish());
}

void log_connection(const EspPolicy& policy, std::string_view virtual_service,
                    const net::SocketAddress& client, const ConnectionRecord& record) {
  if (!connection_log_enabled(policy)) return;
  log::JsonLine line = log::stream_record(log::Stream::kConnection);
  line.field("event", record.event)
      .field("virtual_service", virtual_service)
      .field("client", client.ip_string())
      .field("client_port", client.port());
  if (!record.tls_version.empty()) {
    line.field("tls_version", record.tls_version)
        .field("cipher", record.cipher)
        .field("sni", record.sni);
    if (!record.alpn.empty()) line.field("alpn", record.alpn);
  }
  if (record.event == "close") {
    line.field("duration_ms", record.duration_ms)
        .field("bytes_in", record.bytes_in)
        .field("bytes_out", record.bytes_out);
  }
  log::LogWriter::instance().submit(log::Stream::kConnection, line.finish());
}

}  // namespace espd::esp
