// Writing the HTTP/1.1 request head that goes to the real server.
#include "proxy/exchange/forwarded_request.h"

#include <string>

namespace espd::exchange {

void write_forwarded_request(BufferPool& pool, IoBuffer& out, const http1::RequestHead& head,
                             std::string_view path, std::string_view query,
                             const ForwardingOptions& options) {
  out.append(pool, head.method);
  out.append(pool, " ");
  out.append(pool, path);
  if (!query.empty()) {
    out.append(pool, "?");
    out.append(pool, query);
  }
  out.append(pool, " HTTP/1.1\r\n");
  bool has_host = false;
  for (const http1::Header& field : head.headers) {
    if (http1::is_hop_by_hop(field.name)) continue;
    // Rewritten below in canonical form ("05" becomes "5"). Lookalikes ("content_length", which an
    // HTTP/1.1 request cannot carry but an HTTP/2 one can) would be the same CGI-style variable.
    if (http1::iequals_as_server_variable(field.name, "content-length") ||
        http1::iequals_as_server_variable(field.name, "transfer-encoding")) {
      continue;
    }
    // espd sets these; a client's value, or its "X_Forwarded_For" lookalike that an IIS server
    // variable would merge with it, never reaches the real server.
    if (options.x_forwarded_for && http1::iequals_as_server_variable(field.name, "x-forwarded-for"))
      continue;
    if (options.x_forwarded_proto &&
        http1::iequals_as_server_variable(field.name, "x-forwarded-proto"))
      continue;
    if (http1::listed_in_connection(head.headers, field.name) &&
        !http1::iequals(field.name, "host")) {
      continue;
    }
    if (http1::iequals(field.name, "host")) has_host = true;
    out.append(pool, field.name);
    out.append(pool, ": ");
    out.append(pool, field.value);
    out.append(pool, "\r\n");
  }
  if (!has_host && !head.host.empty()) {
    out.append(pool, "Host: ");
    out.append(pool, head.host);
    out.append(pool, "\r\n");
  }
  if (head.body.kind == http1::BodyKind::kChunked)
    out.append(pool, "Transfer-Encoding: chunked\r\n");
  if (head.body.kind == http1::BodyKind::kContentLength) {
    out.append(pool, "Content-Length: ");
    out.append(pool, std::to_string(head.body.content_length));
    out.append(pool, "\r\n");
  }
  if (options.x_forwarded_for) {
    out.append(pool, "X-Forwarded-For: ");
    out.append(pool, options.client_ip);
    out.append(pool, "\r\n");
  }
  if (options.x_forwarded_proto) {
    out.append(pool,
               options.client_tls ? "X-Forwarded-Proto: https\r\n" : "X-Forwarded-Proto: http\r\n");
  }
  out.append(pool, "\r\n");
}

}  // namespace espd::exchange
