// IPv4/IPv6 socket addresses: parsing "a.b.c.d:port" / "[v6]:port", formatting, comparison.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace espd::net {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  int family() const { return storage.ss_family; }
  uint16_t port() const;
  const sockaddr* sockaddr_ptr() const { return reinterpret_cast<const sockaddr*>(&storage); }
  bool is_loopback() const;
  bool is_wildcard() const;  // 0.0.0.0 or ::

  // "10.0.0.1:443", "[::1]:443"
  std::string to_string() const;
  // "10.0.0.1", "::1"
  std::string ip_string() const;

  friend bool operator==(const SocketAddress& a, const SocketAddress& b);
  friend bool operator<(const SocketAddress& a, const SocketAddress& b);
};

// Parses "IPv4:port" or "[IPv6]:port" (port 1..65535). No host names.
std::optional<SocketAddress> parse_socket_address(std::string_view text);
// Parses an IP literal (no brackets) with a separate port.
std::optional<SocketAddress> make_socket_address(std::string_view ip, uint16_t port);
// True if `text` is an IPv4 or IPv6 literal.
bool is_ip_literal(std::string_view text);

SocketAddress from_sockaddr(const sockaddr* address, socklen_t length);

}  // namespace espd::net
