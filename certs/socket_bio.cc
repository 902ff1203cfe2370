// The BIO through which every TLS connection of espd reads and writes its socket.
#include "certs/socket_bio.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstdint>

namespace espd::certs {
namespace {

int socket_of(BIO* bio) {
  return static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(bio)));
}

// The errno values OpenSSL's socket BIO treats as "try again" (BIO_sock_non_fatal_error).
bool is_transient(int error) {
  switch (error) {
    case EINTR:
    case EAGAIN:
#if EWOULDBLOCK != EAGAIN
    case EWOULDBLOCK:
#endif
    case ENOTCONN:
    case EINPROGRESS:
    case EALREADY:
    case EPROTO:
      return true;
    default:
      return false;
  }
}

int socket_write(BIO* bio, const char* data, int length) {
  BIO_clear_retry_flags(bio);
  ssize_t sent = ::send(socket_of(bio), data, static_cast<size_t>(length), MSG_NOSIGNAL);
  if (sent < 0 && is_transient(errno)) BIO_set_retry_write(bio);
  return static_cast<int>(sent);
}

int socket_read(BIO* bio, char* buffer, int length) {
  if (buffer == nullptr) return 0;
  BIO_clear_retry_flags(bio);
  ssize_t received = ::recv(socket_of(bio), buffer, static_cast<size_t>(length), 0);
  if (received < 0) {
    if (is_transient(errno)) BIO_set_retry_read(bio);
  } else if (received == 0) {
    // Read by BIO_eof: OpenSSL tells a TCP end without close_notify from a transient error by it.
    BIO_set_flags(bio, BIO_FLAGS_IN_EOF);
  }
  return static_cast<int>(received);
}

long socket_control(BIO* bio, int command, long, void* pointer) {
  switch (command) {
    case BIO_C_GET_FD:
      if (pointer != nullptr) *static_cast<int*>(pointer) = socket_of(bio);
      return socket_of(bio);
    case BIO_CTRL_EOF:
      return BIO_test_flags(bio, BIO_FLAGS_IN_EOF) != 0 ? 1 : 0;
    case BIO_CTRL_GET_CLOSE:
      return BIO_NOCLOSE;
    case BIO_CTRL_SET_CLOSE:
    case BIO_CTRL_FLUSH:  // nothing is buffered here
    case BIO_CTRL_DUP:
      return 1;
    default:  // pending byte counts, kernel TLS, datagram and connect controls: none here
      return 0;
  }
}

BIO_METHOD* make_method() {
  // A descriptor type, so that SSL_get_fd finds the socket as it would with the socket BIO.
  BIO_METHOD* method =
      BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR, "espd socket");
  if (method == nullptr) return nullptr;
  if (BIO_meth_set_write(method, socket_write) != 1 ||
      BIO_meth_set_read(method, socket_read) != 1 ||
      BIO_meth_set_ctrl(method, socket_control) != 1) {
    BIO_meth_free(method);
    return nullptr;
  }
  return method;
}

}  // namespace

bool attach_socket(SSL* ssl, int fd) {
  // Made once, used by every thread for the life of the process (BIO methods are read-only).
  static BIO_METHOD* const method = make_method();
  if (method == nullptr) return false;
  BIO* bio = BIO_new(method);
  if (bio == nullptr) return false;
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<intptr_t>(fd)));
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl, bio, bio);  // one reference, for both directions
  return true;
}

}  // namespace espd::certs
