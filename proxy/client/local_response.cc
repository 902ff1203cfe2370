// Responses espd makes itself.
#include "proxy/client/local_response.h"

#include <charconv>

namespace espd::client {

std::string_view reason_phrase(uint16_t status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 421:
      return "Misdirected Request";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

std::string_view gateway_error_body(uint16_t status) {
  switch (status) {
    case 504:
      return "Gateway Timeout: the real server did not answer in time\n";
    case 503:
      return "Service Unavailable: no real server is available, try again later\n";
    default:
      return "Bad Gateway: the real server could not be reached or sent an invalid response\n";
  }
}

void write_local_response(BufferPool& pool, IoBuffer& out, uint16_t status, std::string_view body,
                          bool close, bool head_request, std::string_view extra_fields) {
  char digits[24];
  out.append(pool, "HTTP/1.1 ");
  out.append(pool,
             std::string_view(digits, std::to_chars(digits, digits + 8, status).ptr - digits));
  out.append(pool, " ");
  out.append(pool, reason_phrase(status));
  out.append(pool,
             "\r\nContent-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\n"
             "Content-Length: ");
  out.append(
      pool, std::string_view(digits, std::to_chars(digits, digits + 20, body.size()).ptr - digits));
  out.append(pool, "\r\n");
  if (close) out.append(pool, "Connection: close\r\n");
  out.append(pool, extra_fields);
  out.append(pool, "\r\n");
  if (!head_request) out.append(pool, body);
}

}  // namespace espd::client
