// Refusing an accepted connection that is over a connection limit.
#include "listeners/connection_refusal.h"

#include <sys/socket.h>
#include <unistd.h>

namespace espd::listeners {
namespace {

#define ESPD_REFUSAL_BODY "Service Unavailable: too many connections\n"
constexpr char kServiceUnavailable[] =
    "HTTP/1.1 503 Service Unavailable\r\n"
    "Retry-After: 5\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 42\r\n"
    "Connection: close\r\n"
    "\r\n" ESPD_REFUSAL_BODY;
static_assert(sizeof(ESPD_REFUSAL_BODY) - 1 == 42, "Content-Length must match the body");
#undef ESPD_REFUSAL_BODY

// At most a few reads: a client that keeps sending is not worth more than that.
void discard_received(int fd) {
  char discard[4096];
  for (int i = 0; i < 4; ++i) {
    if (::recv(fd, discard, sizeof(discard), MSG_DONTWAIT) <= 0) return;
  }
}

}  // namespace

void refuse_connection(int fd, RefusalStyle style) {
  discard_received(fd);
  if (style == RefusalStyle::kServiceUnavailable503) {
    // A fresh socket's send buffer always has room for this: one non-blocking send suffices.
    ssize_t ignored = ::send(fd, kServiceUnavailable, sizeof(kServiceUnavailable) - 1,
                             MSG_DONTWAIT | MSG_NOSIGNAL);
    (void)ignored;
    ::shutdown(fd, SHUT_WR);
  }
  ::close(fd);
}

}  // namespace espd::listeners
