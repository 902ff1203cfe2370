// The nghttp2 callback table of espd's HTTP/2 server sessions: each callback forwards to the
// Http2ClientSession (the session's user data) or to the stream it concerns.
#pragma once

#include <nghttp2/nghttp2.h>

namespace espd::client {

// Built once, shared by every session of the process (nghttp2 only reads it).
const nghttp2_session_callbacks* http2_server_callbacks();

}  // namespace espd::client
