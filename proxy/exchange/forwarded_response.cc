// Writing the HTTP/1.1 response head that goes back to an HTTP/1.x client.
#include "proxy/exchange/forwarded_response.h"

#include <charconv>

namespace espd::exchange {

ClientFraming choose_client_framing(const http1::ResponseHead& head, bool request_was_head,
                                    uint8_t client_minor) {
  if (request_was_head || head.status == 204 || head.status == 304 || head.status < 200) {
    return ClientFraming::kNone;
  }
  switch (head.body.kind) {
    case http1::BodyKind::kNone:
      return ClientFraming::kNone;
    case http1::BodyKind::kContentLength:
      return ClientFraming::kContentLength;
    case http1::BodyKind::kChunked:
    case http1::BodyKind::kUntilClose:
      return client_minor >= 1 ? ClientFraming::kChunked : ClientFraming::kUntilClose;
  }
  return ClientFraming::kUntilClose;
}

void write_forwarded_response(BufferPool& pool, IoBuffer& out, const http1::ResponseHead& head,
                              ClientFraming framing, bool close, std::string_view extra_fields) {
  char status[8];
  auto end = std::to_chars(status, status + sizeof(status), head.status).ptr;
  out.append(pool, "HTTP/1.1 ");
  out.append(pool, std::string_view(status, end - status));
  out.append(pool, " ");
  out.append(pool, head.reason);
  out.append(pool, "\r\n");
  for (const http1::Header& field : head.headers) {
    if (http1::is_hop_by_hop(field.name)) continue;
    if (http1::listed_in_connection(head.headers, field.name)) continue;
    // Framing is ours to state; a HEAD response keeps the Content-Length it would have had.
    if (http1::iequals(field.name, "content-length") && framing != ClientFraming::kContentLength &&
        framing != ClientFraming::kNone) {
      continue;
    }
    out.append(pool, field.name);
    out.append(pool, ": ");
    out.append(pool, field.value);
    out.append(pool, "\r\n");
  }
  if (framing == ClientFraming::kChunked) out.append(pool, "Transfer-Encoding: chunked\r\n");
  if (close) out.append(pool, "Connection: close\r\n");
  out.append(pool, extra_fields);
  out.append(pool, "\r\n");
}

}  // namespace espd::exchange
