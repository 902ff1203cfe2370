// Writing the HTTP/1.1 response head that goes back to an HTTP/1.x client.
#pragma once

#include <string_view>

#include "proxy/base/io_buffer.h"
#include "proxy/http1/message.h"

namespace espd::exchange {

// How the response body travels to the client.
enum class ClientFraming : uint8_t {
  kNone,           // no body (HEAD, 204, 304)
  kContentLength,  // the real server's Content-Length, passed through
  kChunked,        // chunked (re-framed from chunked or from a close-delimited body)
  kUntilClose,     // HTTP/1.0 client: raw bytes, then close
};

// Picks the framing for a response to a client speaking HTTP/1.<client_minor>.
ClientFraming choose_client_framing(const http1::ResponseHead& head, bool request_was_head,
                                    uint8_t client_minor);

// Status line (always "HTTP/1.1"; a 1.0 client gets the same with Connection: close), the real
// server's fields minus hop-by-hop ones and those its Connection header names, our framing
// field, "Connection: close" when `close`, then `extra_fields` (complete "Name: value\r\n" lines).
void write_forwarded_response(BufferPool& pool, IoBuffer& out, const http1::ResponseHead& head,
                              ClientFraming framing, bool close, std::string_view extra_fields);

}  // namespace espd::exchange
