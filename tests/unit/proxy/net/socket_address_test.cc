// Unit tests for parsing and formatting socket addresses.
#include "proxy/net/socket_address.h"

#include <arpa/inet.h>

#include <catch2/catch.hpp>
#include <string>

using espd::net::is_ip_literal;
using espd::net::parse_socket_address;

TEST_CASE("IPv4 address with port parses and formats back") {
  auto address = parse_socket_address("10.154.11.5:443");
  REQUIRE(address);
  CHECK(address->family() == AF_INET);
  CHECK(address->port() == 443);
  CHECK(address->to_string() == "10.154.11.5:443");
  CHECK(address->ip_string() == "10.154.11.5");
  CHECK_FALSE(address->is_loopback());
  CHECK_FALSE(address->is_wildcard());
}

TEST_CASE("IPv4 addresses format as inet_ntop formats them, every octet value in every position") {
  for (unsigned value = 0; value < 256; ++value) {
    for (int position = 0; position < 4; ++position) {
      uint8_t octets[4] = {1, 20, 255, 0};
      octets[position] = static_cast<uint8_t>(value);
      std::string text = std::to_string(octets[0]) + "." + std::to_string(octets[1]) + "." +
                         std::to_string(octets[2]) + "." + std::to_string(octets[3]);
      auto address = espd::net::make_socket_address(text, 443);
      REQUIRE(address);
      char expected[INET_ADDRSTRLEN] = {0};
      inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&address->storage)->sin_addr,
                expected, sizeof(expected));
      REQUIRE(address->ip_string() == expected);
      REQUIRE(address->ip_string() == text);
    }
  }
  CHECK(parse_socket_address("0.0.0.0:1")->ip_string() == "0.0.0.0");
  CHECK(parse_socket_address("255.255.255.255:1")->ip_string() == "255.255.255.255");
}

TEST_CASE("IPv6 address needs brackets") {
  auto address = parse_socket_address("[::1]:8443");
  REQUIRE(address);
  CHECK(address->family() == AF_INET6);
  CHECK(address->to_string() == "[::1]:8443");
  CHECK(address->is_loopback());
  CHECK_FALSE(parse_socket_address("::1:8443"));
  CHECK_FALSE(parse_socket_address("[10.0.0.1]:80"));
}

TEST_CASE("loopback and wildcard are recognised") {
  CHECK(parse_socket_address("127.0.0.2:1")->is_loopback());
  CHECK(parse_socket_address("0.0.0.0:443")->is_wildcard());
  CHECK(parse_socket_address("[::]:443")->is_wildcard());
}

TEST_CASE("bad socket addresses are refused") {
  for (const char* text : {"", "10.0.0.1", "10.0.0.1:", "10.0.0.1:0", "10.0.0.1:65536",
                           "10.0.0.1:44a", "host.example:443", "10.0.0.256:443", "[::1]443",
                           "10.0.0.1:-1", "10.0.0.1:+443", "10.0.0.1:123456"}) {
    INFO(text);
    CHECK_FALSE(parse_socket_address(text));
  }
}

TEST_CASE("IP literals are told apart from names") {
  CHECK(is_ip_literal("10.154.201.2"));
  CHECK(is_ip_literal("fe80::1"));
  CHECK_FALSE(is_ip_literal("fe.mycloud.local"));
  CHECK_FALSE(is_ip_literal("10.154.201"));
}

TEST_CASE("addresses compare by value") {
  CHECK(*parse_socket_address("10.0.0.1:443") == *parse_socket_address("10.0.0.1:443"));
  CHECK_FALSE(*parse_socket_address("10.0.0.1:443") == *parse_socket_address("10.0.0.1:444"));
  auto a = *parse_socket_address("10.0.0.1:443");
  auto b = *parse_socket_address("10.0.0.2:443");
  CHECK((a < b) != (b < a));
}
