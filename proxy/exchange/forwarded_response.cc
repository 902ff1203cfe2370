// Writing the HTTP/1.1 response head that goes back to an HTTP/1.x client.
#include "proxy/exchange/forwarded_response.h"

#include <charconv>

#include "proxy/base/head_writer.h"
#include "proxy/exchange/field_line_writer.h"
#include "proxy/http1/connection_tokens.h"

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
  http1::ConnectionTokens listed(head.headers);
  // Framing is ours to state; a HEAD response keeps the Content-Length it would have had.
  bool drop_length = framing != ClientFraming::kContentLength && framing != ClientFraming::kNone;
  char status[8];
  auto end = std::to_chars(status, status + sizeof(status), head.status).ptr;
  HeadWriter writer(pool, out,
                    field_lines_size(head.headers) + head.reason.size() + extra_fields.size() + 64);
  writer.put("HTTP/1.1 ");
  writer.put(std::string_view(status, end - status));
  writer.put(" ");
  writer.put(head.reason);
  writer.put("\r\n");
  FieldLineWriter lines(writer, head.field_lines);
  for (const http1::Header& field : head.headers) {
    if (http1::is_hop_by_hop(field.name)) continue;
    if (!listed.empty() && listed.contains(field.name)) continue;
    if (drop_length && field.name.size() == 14 && http1::iequals(field.name, "content-length")) {
      continue;
    }
    lines.keep(field);
  }
  lines.flush();
  if (framing == ClientFraming::kChunked) writer.put("Transfer-Encoding: chunked\r\n");
  if (close) writer.put("Connection: close\r\n");
  writer.put(extra_fields);
  writer.put("\r\n");
}

}  // namespace espd::exchange
