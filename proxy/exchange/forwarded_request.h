// Writing the HTTP/1.1 request head that goes to the real server.
#pragma once

#include <string_view>

#include "proxy/base/io_buffer.h"
#include "proxy/http1/message.h"

namespace espd::exchange {

struct ForwardingOptions {
  std::string_view client_ip;  // for X-Forwarded-For
  bool client_tls = true;      // X-Forwarded-Proto: https or http
  bool x_forwarded_for = true;
  bool x_forwarded_proto = true;
};

// "<method> <path>[?<query>] HTTP/1.1", then the client's fields in order except hop-by-hop ones
// (and those the client's Connection header names), the original Host unchanged, framing as
// "Transfer-Encoding: chunked" for a chunked body (Content-Length passes as is), and
// X-Forwarded-For / X-Forwarded-Proto set by espd: client-supplied ones are replaced, never
// trusted, since espd is the edge.
void write_forwarded_request(BufferPool& pool, IoBuffer& out, const http1::RequestHead& head,
                             std::string_view path, std::string_view query,
                             const ForwardingOptions& options);

}  // namespace espd::exchange
