// Creating a non-blocking listening TCP socket shared by workers via SO_REUSEPORT.
#include "listeners/listening_socket.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace espd::listeners {

int open_listening_socket(const net::SocketAddress& address, std::string& error) {
  int fd = ::socket(address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = "socket for " + address.to_string() + ": " + std::strerror(errno);
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  // Each worker has its own socket on the address; the kernel spreads connections over them.
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
    error = "SO_REUSEPORT on " + address.to_string() + ": " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  if (address.family() == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  // Accepted sockets inherit TCP_NODELAY from here: responses are written whole, so Nagle's
  // algorithm would only delay them.
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (::bind(fd, address.sockaddr_ptr(), address.length) != 0) {
    error = "bind " + address.to_string() + ": " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  if (::listen(fd, kListenBacklog) != 0) {
    error = "listen " + address.to_string() + ": " + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace espd::listeners
