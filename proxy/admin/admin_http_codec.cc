// The admin API's HTTP/1.1 framing.
#include "proxy/admin/admin_http_codec.h"

#include <cctype>

#include "proxy/client/local_response.h"
#include "proxy/http1/request_parser.h"

namespace espd::admin {

AdminRead read_admin_request(std::string_view input, size_t max_request_bytes,
                             const std::string& client) {
  AdminRead read;
  http1::RequestHead head;
  http1::RequestParser parser(http1::RequestLimits{kAdminMaxHeadBytes, 100, 8192});
  http1::ParseStatus status = parser.parse(input, head);
  if (status == http1::ParseStatus::kIncomplete) return read;
  if (status == http1::ParseStatus::kError) {
    read.status = AdminRead::Status::kRefused;
    read.refusal =
        error_response(http1::request_error_status(parser.error()),
                       std::string("malformed request: ") + http1::error_reason(parser.error()));
    return read;
  }
  if (head.body.kind == http1::BodyKind::kChunked) {
    read.status = AdminRead::Status::kRefused;
    read.refusal = error_response(411, "send the body with a Content-Length");
    return read;
  }
  if (head.body.content_length > max_request_bytes) {
    read.status = AdminRead::Status::kRefused;
    read.refusal = error_response(
        413, "request body larger than " + std::to_string(max_request_bytes) + " bytes");
    return read;
  }
  size_t total = parser.consumed() + static_cast<size_t>(head.body.content_length);
  if (input.size() < total) return read;
  AdminRequest& request = read.request;
  request.method.assign(head.method);
  request.path.assign(head.path);
  for (const http1::Header& field : head.headers) {
    std::string name(field.name);
    for (char& c : name)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    request.headers[name].assign(field.value);
  }
  request.body.assign(
      input.substr(parser.consumed(), static_cast<size_t>(head.body.content_length)));
  request.client = client;
  read.status = AdminRead::Status::kRequest;
  read.consumed = total;
  read.close = head.connection_close;
  return read;
}

std::string serialize_admin_response(const AdminResponse& response, bool close) {
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " +
                    std::string(client::reason_phrase(response.status)) + "\r\n";
  // A 204 has no content and so no Content-Length (RFC 9110 8.6): a client must not look for one.
  bool no_content = response.status == 204;
  if (!no_content) {
    out += "Content-Type: " + response.content_type + "\r\n";
    out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  }
  out += "Cache-Control: no-store\r\n";
  for (const auto& [name, value] : response.headers)
    out += name + ": " + value + "\r\n";
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  if (!no_content) out += response.body;
  return out;
}

}  // namespace espd::admin
