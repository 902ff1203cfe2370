// From a parsed request to a local answer or an exchange with a chosen real server.
#include "proxy/exchange/request_dispatcher.h"

#include "proxy/esp/host_matcher.h"
#include "proxy/esp/path_normalizer.h"
#include "proxy/exchange/forwarded_request.h"
#include "proxy/log/event.h"
#include "proxy/persistence/server_choice.h"

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
Dispatch redirect_to_https(const runtime::VirtualService& service, const esp::NormalizedHost& host,
                           const http1::RequestHead& head) {
  std::string location = "https://" + host.name;
  uint16_t port = service.config->redirect_to_https.https_port;
  if (port != 443) location.append(":").append(std::to_string(port));
  location += head.path.empty() ? "/" : std::string(head.path);
  if (!head.query.empty()) location.append("?").append(head.query);
  Dispatch d = local(301, "redirect_to_https", "Moved to " + location + "\n");
  d.extra_fields = "Location: " + location + "\r\n";
  return d;
}

// A refusal: the answer, and its record on the security stream.
class Refusal {
 public:
  Refusal(const runtime::VirtualService& service, const ClientFacts& client,
          const esp::RequestFacts& facts)
      : service_(service), client_(client), facts_(facts) {}

  Dispatch bad_request(std::string_view detail) {
    esp::log_security(service_.esp, service_.name, client_.peer, "bad_request", detail, 400,
                      &facts_);
    return local(400, std::string(detail), "Bad Request: " + std::string(detail) + "\n");
  }
  Dispatch not_allowed(std::string_view reason, std::string_view detail) {
    const esp::EspPolicy& esp = service_.esp;
    esp::log_security(esp, service_.name, client_.peer, reason, detail, esp.reject_status, &facts_);
    return local(esp.reject_status, std::string(reason), esp.reject_body);
  }

 private:
  const runtime::VirtualService& service_;
  const ClientFacts& client_;
  const esp::RequestFacts& facts_;
};

}  // namespace

Dispatch dispatch_request(runtime::Worker& worker, const runtime::VirtualService& service,
                          ExchangeClient& client, const http1::RequestHead& head,
                          const ClientFacts& client_facts, esp::RequestFacts* facts_out) {
  esp::RequestFacts scratch;
  esp::RequestFacts& facts = facts_out ? *facts_out : scratch;
  bool logging = facts_out || esp::security_log_enabled(service.esp);
  if (logging) {
    facts.method.assign(head.method);
    facts.host.assign(head.host);
    facts.path.assign(head.path);
    facts.http2 = client_facts.http2;
  }
  Refusal refuse(service, client_facts, facts);

  if (head.host.empty()) return refuse.bad_request("missing_host");
  esp::NormalizedHost host = esp::normalize_host(head.host);
  if (!host.valid) return refuse.bad_request("bad_host");
  if (logging) facts.host = host.name;
  if (!head.absolute_authority.empty()) {
    esp::NormalizedHost target = esp::normalize_host(head.absolute_authority);
    if (!target.valid || target.name != host.name || target.port != host.port) {
      return refuse.bad_request("absolute_form_host_mismatch");
    }
  }
  if (service.config->redirect_to_https.enabled) return redirect_to_https(service, host, head);

  const esp::EspPolicy& esp = service.esp;
  if (esp.enabled) {
    if (host.port != 0 && host.port != service.listen.port()) {
      return refuse.not_allowed("host_not_allowed",
                                "port " + std::to_string(host.port) + " is not the listener's");
    }
    if (!esp.hosts.matches(host.name)) return refuse.not_allowed("host_not_allowed", host.name);
  }

  std::string& path = worker.path_scratch();
  if (head.path == "*") {
    path.assign("*");
  } else if (esp::PathError error = esp::normalize_path(head.path, path);
             error != esp::PathError::kNone) {
    return refuse.bad_request(esp::path_error_reason(error));
  }
  if (logging) facts.path = path;
  if (esp.enabled && path != "*" && !esp.directories.matches(path)) {
    return refuse.not_allowed("directory_not_allowed", path);
  }

  int route = service.routes.select(routing::RouteRequest{host.name, path, &head.headers});
  const runtime::Pool* pool = route >= 0 ? &service.pools[route] : service.default_pool;
  if (!pool) return local(503, "no_pool", "Service Unavailable: no pool for this request\n");
  persistence::ServerChoice choice =
      persistence::choose_server(*pool, head.headers, client_facts.peer, worker.now_ms());
  if (!choice.server) {
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
  request.idempotent = head.method == "GET" || head.method == "HEAD" || head.method == "OPTIONS" ||
                       head.method == "PUT" || head.method == "DELETE" || head.method == "TRACE";
  request.body = head.body.kind;
  Dispatch d;
  d.exchange =
      new Exchange(worker, client, service, *pool, std::move(choice), client_facts.peer, request);
  ForwardingOptions options;
  std::string client_ip = client_facts.peer.ip_string();
  options.client_ip = client_ip;
  options.client_tls = client_facts.tls;
  options.x_forwarded_for = service.config->forwarding.x_forwarded_for;
  options.x_forwarded_proto = service.config->forwarding.x_forwarded_proto;
  IoBuffer forwarded;
  write_forwarded_request(worker.buffers(), forwarded, head, path, head.query, options);
  d.exchange->start(forwarded.readable());
  return d;
}

}  // namespace espd::exchange
