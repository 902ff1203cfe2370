// Non-blocking byte stream over a connected socket, in the clear or through OpenSSL.
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <string>

namespace espd::net {

enum class IoStatus : uint8_t {
  kOk,         // `bytes` > 0 were transferred (or the handshake completed)
  kWantRead,   // retry when the socket is readable
  kWantWrite,  // retry when the socket is writable
  kEof,        // the peer closed cleanly (TLS close_notify or TCP FIN)
  kError,      // fatal; error_text() says why
};

struct IoResult {
  IoStatus status;
  size_t bytes = 0;
  // kOk from read() only: fewer bytes than asked for and nothing left buffered inside OpenSSL,
  // so a further read now would say kWantRead. The socket events are level-triggered, so a
  // caller may stop here and wait for the next one: no byte can be left unannounced (what
  // OpenSSL holds it reports as pending; what the kernel holds raises the event again).
  bool drained = false;
};

// Owns the socket and the SSL object. A TLS write that returns kWantRead/kWantWrite must be
// retried with a buffer that starts with the same bytes and is at least as long (the callers'
// OutputChannel guarantees it; SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER allows the move).
class Transport {
 public:
  Transport() = default;
  Transport(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}
  ~Transport();
  Transport(Transport&& other) noexcept;
  Transport& operator=(Transport&& other) noexcept;
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Starts TLS on the (connected) socket this transport already owns.
  void attach_ssl(SSL* ssl) { ssl_ = ssl; }

  int fd() const { return fd_; }
  SSL* ssl() const { return ssl_; }
  bool is_tls() const { return ssl_ != nullptr; }
  bool open() const { return fd_ >= 0; }

  IoResult handshake();
  IoResult read(char* buffer, size_t length);
  IoResult write(const char* data, size_t length);
  // Decrypted bytes are buffered inside OpenSSL: the socket may not signal readability for them.
  bool has_pending() const { return ssl_ && SSL_has_pending(ssl_); }
  // An idle connection hands OpenSSL's record buffers (about 17 KiB each way) back; they are
  // allocated again on the next read or write. Kept while they hold bytes. (Instead of
  // SSL_MODE_RELEASE_BUFFERS, which frees and re-allocates them around every read and write.)
  void release_buffers() {
    // Decrypted bytes not yet read live in the read buffer: never free it under them (OpenSSL
    // before 3.0.14 did not check that itself, CVE-2024-4741).
    if (ssl_ && !SSL_has_pending(ssl_)) SSL_free_buffers(ssl_);
  }
  // OpenSSL marks the session of a connection freed without close_notify as not resumable. For
  // a connection that ends cleanly (espd is done with it) the session stays good for the next
  // connection: record the shutdown as done before close().
  void keep_session_resumable() {
    if (ssl_) SSL_set_shutdown(ssl_, SSL_get_shutdown(ssl_) | SSL_SENT_SHUTDOWN);
  }
  // Sends close_notify (best effort, never blocks) and shuts the socket for writing.
  void shutdown_write();
  void close();

  const std::string& error_text() const { return error_; }

 private:
  IoResult ssl_result(int ret, const char* operation);

  int fd_ = -1;
  SSL* ssl_ = nullptr;
  std::string error_;
};

// The OpenSSL error queue as one line (and clears it).
std::string drain_openssl_errors();

}  // namespace espd::net
