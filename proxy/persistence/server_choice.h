// Choosing the real server for a request: the persisted one (MS-WSMAN cookie or source address)
// when it can still take the client, else a newly scheduled one, which is then persisted.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/http1/message.h"
#include "proxy/net/socket_address.h"
#include "proxy/runtime/snapshot.h"

namespace espd::persistence {

struct ServerChoice {
  const runtime::RealServer* server = nullptr;  // null: no real server available
  // For the access log: "none", "cookie", "source_ip" (persisted), "scheduled" (new client),
  // "rescheduled" (persisted to a server that is down, disabled or gone: moved).
  const char* decision = "none";
  // The Set-Cookie field to add to the response ("" when the request's cookie was valid): the
  // chosen server's line, owned by the snapshot.
  std::string_view set_cookie;
};

// A cookie naming a server of the pool that is up and enabled (draining is fine: persisted clients
// stay until their persistence ends) is followed; a cookie that names nothing valid, or a server
// that is down, disabled or gone, means scheduling anew and setting a new cookie on the response.
// Source-IP entries work the same way and are refreshed on every use.
ServerChoice choose_server(const runtime::Pool& pool, const std::vector<http1::Header>& headers,
                           const net::SocketAddress& client, uint64_t now_ms);

// The request moved to `server` (its first one failed before any byte was sent): persist that.
void rebind(const runtime::Pool& pool, ServerChoice& choice, const runtime::RealServer& server,
            const net::SocketAddress& client, uint64_t now_ms);

}  // namespace espd::persistence
