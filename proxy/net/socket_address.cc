// IPv4/IPv6 socket addresses.
#include "proxy/net/socket_address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace espd::net {

uint16_t SocketAddress::port() const {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  if (family() == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  }
  return 0;
}

bool SocketAddress::is_loopback() const {
  if (family() == AF_INET) {
    uint32_t a = ntohl(reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr.s_addr);
    return (a >> 24) == 127;
  }
  if (family() == AF_INET6) {
    const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr;
    return IN6_IS_ADDR_LOOPBACK(&a);
  }
  return false;
}

bool SocketAddress::is_wildcard() const {
  if (family() == AF_INET) {
    return reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr.s_addr == htonl(INADDR_ANY);
  }
  if (family() == AF_INET6) {
    const in6_addr& a = reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr;
    return IN6_IS_ADDR_UNSPECIFIED(&a);
  }
  return false;
}

std::string SocketAddress::ip_string() const {
  char text[INET6_ADDRSTRLEN] = {0};
  if (family() == AF_INET) {
    // Written here rather than by inet_ntop, which formats IPv4 with sprintf: this runs for every
    // request (X-Forwarded-For) and cost as much as parsing the request's head (callgrind).
    uint32_t address = ntohl(reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr.s_addr);
    char* out = text;
    for (int shift = 24; shift >= 0; shift -= 8) {
      unsigned octet = (address >> shift) & 0xff;
      if (octet >= 100) *out++ = static_cast<char>('0' + octet / 100);
      if (octet >= 10) *out++ = static_cast<char>('0' + octet / 10 % 10);
      *out++ = static_cast<char>('0' + octet % 10);
      if (shift != 0) *out++ = '.';
    }
    return std::string(text, out - text);
  }
  if (family() == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr, text,
              sizeof(text));
  }
  return text;
}

std::string SocketAddress::to_string() const {
  std::string ip = ip_string();
  std::string port_text = std::to_string(port());
  if (family() == AF_INET6) return "[" + ip + "]:" + port_text;
  return ip + ":" + port_text;
}

bool operator==(const SocketAddress& a, const SocketAddress& b) {
  return a.length == b.length && std::memcmp(&a.storage, &b.storage, a.length) == 0;
}

bool operator<(const SocketAddress& a, const SocketAddress& b) {
  if (a.length != b.length) return a.length < b.length;
  return std::memcmp(&a.storage, &b.storage, a.length) < 0;
}

std::optional<SocketAddress> make_socket_address(std::string_view ip, uint16_t port) {
  if (ip.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  char text[INET6_ADDRSTRLEN];
  std::memcpy(text, ip.data(), ip.size());
  text[ip.size()] = '\0';
  SocketAddress address;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&address.storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&address.storage);
  if (inet_pton(AF_INET, text, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    address.length = sizeof(sockaddr_in);
    return address;
  }
  if (inet_pton(AF_INET6, text, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    address.length = sizeof(sockaddr_in6);
    return address;
  }
  return std::nullopt;
}

bool is_ip_literal(std::string_view text) {
  return make_socket_address(text, 0).has_value();
}

std::optional<SocketAddress> parse_socket_address(std::string_view text) {
  std::string_view ip;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return std::nullopt;
    }
    ip = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
    if (ip.find(':') == std::string_view::npos) return std::nullopt;  // brackets are for IPv6
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    ip = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (ip.find(':') != std::string_view::npos) return std::nullopt;  // IPv6 needs brackets
  }
  if (port_text.empty() || port_text.size() > 5) return std::nullopt;
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size()) return std::nullopt;
  if (port < 1 || port > 65535) return std::nullopt;
  return make_socket_address(ip, static_cast<uint16_t>(port));
}

SocketAddress from_sockaddr(const sockaddr* address, socklen_t length) {
  SocketAddress result;
  if (length > sizeof(result.storage)) length = sizeof(result.storage);
  std::memcpy(&result.storage, address, length);
  result.length = length;
  return result;
}

}  // namespace espd::net
