// Responses espd makes itself: refusals (400, 403, 408, 413, 431...), gateway errors (502, 503,
// 504) and redirects.
#pragma once

#include <cstdint>
#include <string_view>

#include "proxy/base/io_buffer.h"

namespace espd::client {

// The standard reason phrase ("Bad Gateway"), or "Unknown".
std::string_view reason_phrase(uint16_t status);

// The short body of a gateway error (502, 503, 504): what happened, without revealing internal
// addresses.
std::string_view gateway_error_body(uint16_t status);

// Writes a complete HTTP/1.1 response with a short text body (none for HEAD), Content-Length,
// Cache-Control: no-store, "Connection: close" when `close`, and `extra_fields`.
void write_local_response(BufferPool& pool, IoBuffer& out, uint16_t status, std::string_view body,
                          bool close, bool head_request, std::string_view extra_fields = {});

}  // namespace espd::client
