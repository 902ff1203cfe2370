// From a parsed request to a local answer or an exchange with a chosen real server.
#include "proxy/exchange/request_dispatcher.h"

#include "proxy/exchange/forwarded_request.h"
#include "proxy/log/event.h"
#include "proxy/scheduling/round_robin.h"

namespace espd::exchange {
namespace {

Dispatch local(uint16_t status, std::string reason, std::string body) {
  Dispatch d;
  d.status = status;
  d.reason = std::move(reason);
  d.body = std::move(body);
  return d;
}

// "https://host[:port]/target": the Host without its port, then the configured HTTPS port.
Dispatch redirect_to_https(const runtime::VirtualService& service, const http1::RequestHead& head) {
  std::string_view host = head.host;
  if (!host.empty() && host.front() == '[') {
    host = host.substr(0, host.find(']') + 1);
  } else if (size_t colon = host.rfind(':'); colon != std::string_view::npos) {
    host = host.substr(0, colon);
  }
  std::string location = "https://" + std::string(host);
  uint16_t port = service.config->redirect_to_https.https_port;
  if (port != 443) location += ":" + std::to_string(port);
  location += head.path.empty() ? "/" : std::string(head.path);
  if (!head.query.empty()) location += "?" + std::string(head.query);
  Dispatch d = local(301, "redirect_to_https", "Moved to " + location + "\n");
  d.extra_fields = "Location: " + location + "\r\n";
  return d;
}

}  // namespace

Dispatch dispatch_request(runtime::Worker& worker, const runtime::VirtualService& service,
                          ExchangeClient& client, const http1::RequestHead& head,
                          const ClientFacts& facts) {
  if (head.host.empty()) {
    Dispatch d = local(400, "missing_host", "Bad Request: a Host header is required\n");
    d.security_event = true;
    return d;
  }
  if (service.config->redirect_to_https.enabled) return redirect_to_https(service, head);

  const runtime::Pool* pool = service.default_pool;
  if (!pool) return local(503, "no_pool", "Service Unavailable: no pool for this request\n");
  const runtime::RealServer* server = scheduling::pick_round_robin(*pool, worker.now_ms());
  if (!server) {
    log::Event(log::Level::kWarning, "no_real_server_available")
        .field("virtual_service", service.name)
        .field("pool", pool->name)
        .emit();
    Dispatch d = local(503, "no_real_server",
                       "Service Unavailable: no real server is available, try again later\n");
    d.extra_fields = "Retry-After: 5\r\n";
    return d;
  }

  ExchangeRequest request;
  request.is_head = head.method == "HEAD";
  request.body = head.body.kind;
  Dispatch d;
  d.exchange = new Exchange(worker, client, service, *pool, *server, request);
  ForwardingOptions options;
  std::string client_ip = facts.peer.ip_string();
  options.client_ip = client_ip;
  options.client_tls = facts.tls;
  options.x_forwarded_for = service.config->forwarding.x_forwarded_for;
  options.x_forwarded_proto = service.config->forwarding.x_forwarded_proto;
  IoBuffer forwarded;
  write_forwarded_request(worker.buffers(), forwarded, head, head.path.empty() ? "/" : head.path,
                          head.query, options);
  d.exchange->start(forwarded.readable());
  return d;
}

}  // namespace espd::exchange
