// The BIO through which every TLS connection of espd reads and writes its socket.
#pragma once

#include <openssl/ssl.h>

namespace espd::certs {

// Makes `ssl` read and write the connected, non-blocking socket `fd` (which stays the caller's:
// the BIO never closes it). In place of SSL_set_fd: OpenSSL's socket BIO calls read() and
// write(), which pass through the VFS layers before reaching the socket, and a control function
// with many cases per call; this one calls recv() and send(MSG_NOSIGNAL) and answers only what
// the TLS state machine asks. Semantics are those of the socket BIO: the same errno values mean
// "retry", end of stream is remembered for BIO_eof, BIO_get_fd answers the socket. Returns
// false when the BIO cannot be allocated.
bool attach_socket(SSL* ssl, int fd);

}  // namespace espd::certs
