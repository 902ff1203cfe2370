// Refusing an accepted connection that is over a connection limit: at once, without a TLS
// handshake or any state kept, so that refusing costs less than serving.
#pragma once

namespace espd::listeners {

enum class RefusalStyle : bool {
  kClose,                 // TLS listeners: the connection ends before the handshake
  kServiceUnavailable503  // plain HTTP listeners: a fixed 503 with Retry-After, then the end
};

// Takes ownership of `fd` and closes it. What the client already sent is read and discarded
// first, so the close is an orderly FIN rather than a reset that could destroy the 503.
void refuse_connection(int fd, RefusalStyle style);

}  // namespace espd::listeners
