// The listening socket's options, checked on real loopback sockets: what accepted connections
// inherit from it is what espd relies on instead of setting options per connection.
#include "listeners/listening_socket.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "tests/unit/loopback_listener.h"

namespace {

int option(int fd, int level, int name) {
  int value = -1;
  socklen_t length = sizeof(value);
  REQUIRE(getsockopt(fd, level, name, &value, &length) == 0);
  return value;
}

}  // namespace

TEST_CASE("accepted connections inherit TCP_NODELAY from the listening socket") {
  // Another worker's socket on the same port (SO_REUSEPORT) keeps the port ours meanwhile.
  int port = 0;
  int sibling = espd::testing::listen_on_free_loopback_port(true, port);
  auto address = espd::net::parse_socket_address("127.0.0.1:" + std::to_string(port));
  REQUIRE(address);
  std::string error;
  int listener = espd::listeners::open_listening_socket(*address, error);
  REQUIRE(listener >= 0);
  CHECK(error.empty());
  close(sibling);  // from now on every connection goes to `listener`
  CHECK(option(listener, IPPROTO_TCP, TCP_NODELAY) == 1);
  CHECK(option(listener, SOL_SOCKET, SO_REUSEPORT) == 1);

  sockaddr_in bound{};
  bound.sin_family = AF_INET;
  bound.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bound.sin_port = htons(static_cast<uint16_t>(port));
  socklen_t length = sizeof(bound);
  int client = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(client >= 0);
  REQUIRE(connect(client, reinterpret_cast<sockaddr*>(&bound), length) == 0);
  int accepted = -1;
  for (int attempt = 0; attempt < 1000 && accepted < 0; ++attempt) {
    accepted = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);  // non-blocking listener
    if (accepted < 0) REQUIRE((errno == EAGAIN || errno == EINTR));
  }
  REQUIRE(accepted >= 0);
  CHECK(option(accepted, IPPROTO_TCP, TCP_NODELAY) == 1);
  close(accepted);
  close(client);
  close(listener);
}

TEST_CASE("a listening socket on an address in use says which address") {
  // A socket without SO_REUSEPORT holds the port, so espd's bind must fail.
  int port = 0;
  int holder = espd::testing::listen_on_free_loopback_port(false, port);
  auto taken = espd::net::parse_socket_address("127.0.0.1:" + std::to_string(port));
  REQUIRE(taken);
  std::string error;
  int fd = espd::listeners::open_listening_socket(*taken, error);
  CHECK(fd == -1);
  CHECK(error.rfind("bind 127.0.0.1:" + std::to_string(port) + ": ", 0) == 0);
  close(holder);
}
