// The admin API's HTTP/1.1 framing, apart from sockets: reading one request from the bytes a
// connection received, and writing a response. Pure, so that it is unit-tested and fuzzed.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "proxy/admin/admin_types.h"

namespace espd::admin {

inline constexpr size_t kAdminMaxHeadBytes = 65536;

struct AdminRead {
  enum class Status { kIncomplete, kRequest, kRefused };
  Status status = Status::kIncomplete;
  AdminRequest request;   // kRequest
  size_t consumed = 0;    // kRequest: head and body bytes, to drop from the input
  bool close = false;     // kRequest: the client asked to close after the response
  AdminResponse refusal;  // kRefused: answer it and close (malformed head, chunked, too large)
};

// Reads the request at the start of `input` (strict HTTP/1.1 head, then a Content-Length body of
// at most `max_request_bytes`). Header names are lower-cased; a repeated field keeps its last
// value. `client` is the peer's address, for authentication and the audit log.
AdminRead read_admin_request(std::string_view input, size_t max_request_bytes,
                             const std::string& client);

// The response on the wire, with Content-Length, Cache-Control: no-store, and Connection: close
// when `close`.
std::string serialize_admin_response(const AdminResponse& response, bool close);

}  // namespace espd::admin
