// Non-blocking byte stream over a connected socket, in the clear or through OpenSSL.
#include "proxy/net/transport.h"

#include <openssl/err.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace espd::net {

std::string drain_openssl_errors() {
  std::string text;
  unsigned long code;
  while ((code = ERR_get_error()) != 0) {
    char line[256];
    ERR_error_string_n(code, line, sizeof(line));
    if (!text.empty()) text += "; ";
    text += line;
  }
  return text;
}

Transport::~Transport() {
  close();
}

Transport::Transport(Transport&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      ssl_(std::exchange(other.ssl_, nullptr)),
      error_(std::move(other.error_)) {}

Transport& Transport::operator=(Transport&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    ssl_ = std::exchange(other.ssl_, nullptr);
    error_ = std::move(other.error_);
  }
  return *this;
}

void Transport::close() {
  if (ssl_) {
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

IoResult Transport::ssl_result(int ret, const char* operation) {
  int err = SSL_get_error(ssl_, ret);
  switch (err) {
    case SSL_ERROR_WANT_READ:
      return {IoStatus::kWantRead};
    case SSL_ERROR_WANT_WRITE:
      return {IoStatus::kWantWrite};
    case SSL_ERROR_ZERO_RETURN:
      return {IoStatus::kEof};
    case SSL_ERROR_SYSCALL: {
      int saved = errno;
      std::string queue = drain_openssl_errors();
      if (queue.empty() && saved == 0) return {IoStatus::kEof};
      error_ = std::string(operation) + ": " + (queue.empty() ? std::strerror(saved) : queue);
      return {IoStatus::kError};
    }
    default: {
      std::string queue = drain_openssl_errors();
      error_ = std::string(operation) + ": " + (queue.empty() ? "TLS error" : queue);
      return {IoStatus::kError};
    }
  }
}

IoResult Transport::handshake() {
  if (!ssl_) return {IoStatus::kOk};
  errno = 0;
  int ret = SSL_do_handshake(ssl_);
  if (ret == 1) return {IoStatus::kOk};
  IoResult result = ssl_result(ret, "TLS handshake");
  if (result.status == IoStatus::kEof) {
    error_ = "TLS handshake: connection closed by peer";
    return {IoStatus::kError};
  }
  return result;
}

IoResult Transport::read(char* buffer, size_t length) {
  if (ssl_) {
    errno = 0;
    size_t got = 0;
    int ret = SSL_read_ex(ssl_, buffer, length, &got);
    if (ret == 1) {
      // SSL_has_pending also counts received bytes of a record not yet complete (read-ahead).
      bool drained = got < length && SSL_pending(ssl_) == 0 && !SSL_has_pending(ssl_);
      return {IoStatus::kOk, got, drained};
    }
    return ssl_result(0, "TLS read");
  }
  for (;;) {
    ssize_t n = ::recv(fd_, buffer, length, 0);
    if (n > 0) return {IoStatus::kOk, static_cast<size_t>(n), static_cast<size_t>(n) < length};
    if (n == 0) return {IoStatus::kEof};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return {IoStatus::kWantRead};
    error_ = std::string("read: ") + std::strerror(errno);
    return {IoStatus::kError};
  }
}

IoResult Transport::write(const char* data, size_t length) {
  if (ssl_) {
    errno = 0;
    size_t written = 0;
    int ret = SSL_write_ex(ssl_, data, length, &written);
    if (ret == 1) return {IoStatus::kOk, written};
    IoResult result = ssl_result(0, "TLS write");
    if (result.status == IoStatus::kEof) {
      error_ = "TLS write: connection closed by peer";
      return {IoStatus::kError};
    }
    return result;
  }
  for (;;) {
    ssize_t n = ::send(fd_, data, length, MSG_NOSIGNAL);
    if (n >= 0) return {IoStatus::kOk, static_cast<size_t>(n)};
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return {IoStatus::kWantWrite};
    error_ = std::string("write: ") + std::strerror(errno);
    return {IoStatus::kError};
  }
}

void Transport::shutdown_write() {
  if (fd_ < 0) return;
  if (ssl_ && SSL_is_init_finished(ssl_)) {
    // One attempt: close_notify is a courtesy; a full socket buffer must not keep us waiting.
    SSL_set_quiet_shutdown(ssl_, 0);
    if (SSL_shutdown(ssl_) < 0) ERR_clear_error();
  }
  ::shutdown(fd_, SHUT_WR);
}

}  // namespace espd::net
