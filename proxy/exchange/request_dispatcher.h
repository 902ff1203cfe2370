// From a parsed request to its fate: a local answer (redirect, refusal, no server available) or
// an exchange with a chosen real server. Shared by the HTTP/1.1 and HTTP/2 client sides.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "proxy/exchange/exchange.h"
#include "proxy/http1/message.h"
#include "proxy/net/socket_address.h"
#include "proxy/runtime/snapshot.h"
#include "proxy/runtime/worker.h"

namespace espd::exchange {

struct ClientFacts {
  const net::SocketAddress& peer;
  bool tls;
};

struct Dispatch {
  Exchange* exchange = nullptr;  // set: forward; the caller owns it (delete via defer_delete)
  // Otherwise a local answer:
  uint16_t status = 0;
  std::string reason;        // snake_case, for the logs
  std::string body;          // short text
  std::string extra_fields;  // complete "Name: value\r\n" lines (Location, Retry-After)
  bool security_event = false;
};

Dispatch dispatch_request(runtime::Worker& worker, const runtime::VirtualService& service,
                          ExchangeClient& client, const http1::RequestHead& head,
                          const ClientFacts& facts);

}  // namespace espd::exchange
