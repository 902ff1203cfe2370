// From a parsed request to its fate: a local answer (redirect, ESP refusal, bad request, no
// server available) or an exchange with a chosen pool and real server. Shared by the HTTP/1.1
// and HTTP/2 client sides, so every check is the same for both.
//
// Order: Host present and valid -> an absolute-form target names the same host -> redirect
// services answer -> ESP: allowed host (and the listener's port) -> path normalised (always;
// encoding tricks refused) -> ESP: allowed directory -> route -> scheduling. The request is
// forwarded with the normalised path, so what was checked is what the real server receives.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/esp/esp_log.h"
#include "proxy/exchange/exchange.h"
#include "proxy/http1/message.h"
#include "proxy/net/socket_address.h"
#include "proxy/runtime/snapshot.h"
#include "proxy/runtime/worker.h"

namespace espd::exchange {

struct ClientFacts {
  const net::SocketAddress& peer;
  bool tls;
  bool http2 = false;
};

struct Dispatch {
  Exchange* exchange = nullptr;  // set: forward; the caller owns it (delete via defer_delete)
  // Otherwise a local answer:
  uint16_t status = 0;
  std::string reason;        // snake_case, for the logs
  std::string body;          // short text
  std::string extra_fields;  // complete "Name: value\r\n" lines (Location, Retry-After)
};

// `facts` (may be null) receives method, host and normalised path for the access log.
Dispatch dispatch_request(runtime::Worker& worker, const runtime::VirtualService& service,
                          ExchangeClient& client, const http1::RequestHead& head,
                          const ClientFacts& client_facts, esp::RequestFacts* facts);

}  // namespace espd::exchange
