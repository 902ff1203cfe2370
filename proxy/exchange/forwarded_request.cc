// Writing the HTTP/1.1 request head that goes to the real server.
#include "proxy/exchange/forwarded_request.h"

#include <charconv>

#include "proxy/base/head_writer.h"
#include "proxy/exchange/field_line_writer.h"
#include "proxy/http1/connection_tokens.h"

namespace espd::exchange {

void write_forwarded_request(BufferPool& pool, IoBuffer& out, const http1::RequestHead& head,
                             std::string_view path, std::string_view query,
                             const ForwardingOptions& options) {
  http1::ConnectionTokens listed(head.headers);
  HeadWriter writer(pool, out,
                    head.method.size() + path.size() + query.size() + head.host.size() +
                        options.client_ip.size() + field_lines_size(head.headers) + 160);
  writer.put(head.method);
  writer.put(" ");
  writer.put(path);
  if (!query.empty()) {
    writer.put("?");
    writer.put(query);
  }
  writer.put(" HTTP/1.1\r\n");
  bool has_host = false;
  FieldLineWriter lines(writer, head.field_lines);
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
    bool is_host = field.name.size() == 4 && http1::iequals(field.name, "host");
    if (!is_host && !listed.empty() && listed.contains(field.name)) continue;
    has_host = has_host || is_host;
    lines.keep(field);
  }
  lines.flush();
  if (!has_host && !head.host.empty()) {
    writer.put("Host: ");
    writer.put(head.host);
    writer.put("\r\n");
  }
  if (head.body.kind == http1::BodyKind::kChunked) writer.put("Transfer-Encoding: chunked\r\n");
  if (head.body.kind == http1::BodyKind::kContentLength) {
    char length[24];
    auto end = std::to_chars(length, length + sizeof(length), head.body.content_length).ptr;
    writer.put("Content-Length: ");
    writer.put(std::string_view(length, end - length));
    writer.put("\r\n");
  }
  if (options.x_forwarded_for) {
    writer.put("X-Forwarded-For: ");
    writer.put(options.client_ip);
    writer.put("\r\n");
  }
  if (options.x_forwarded_proto) {
    writer.put(options.client_tls ? std::string_view("X-Forwarded-Proto: https\r\n")
                                  : std::string_view("X-Forwarded-Proto: http\r\n"));
  }
  writer.put("\r\n");
}

}  // namespace espd::exchange
