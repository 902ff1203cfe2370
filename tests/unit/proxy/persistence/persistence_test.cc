// Unit tests for persistence: cookie values and parsing, Set-Cookie, the source-IP table.
#include <catch2/catch.hpp>
#include <set>

#include "proxy/persistence/cookie_persistence.h"
#include "proxy/persistence/source_ip_table.h"

using namespace espd;
using namespace espd::persistence;

namespace {

PersistenceKey key_of(unsigned char fill) {
  PersistenceKey key;
  key.fill(fill);
  return key;
}

net::SocketAddress address(const char* ip) {
  return *net::make_socket_address(ip, 1234);
}

}  // namespace

TEST_CASE("a cookie value is stable, keyed, and reveals nothing of the address") {
  std::string a = cookie_value(key_of(1), "ESPforLYNC", "fe", "10.154.201.2:4443");
  CHECK(a == cookie_value(key_of(1), "ESPforLYNC", "fe", "10.154.201.2:4443"));
  CHECK(a.size() == 22);
  CHECK(a.find("10") == std::string::npos);
  CHECK(a != cookie_value(key_of(1), "ESPforLYNC", "fe", "10.154.201.3:4443"));
  CHECK(a != cookie_value(key_of(2), "ESPforLYNC", "fe", "10.154.201.2:4443"));
  CHECK(a != cookie_value(key_of(1), "ESPforLYNC", "other", "10.154.201.2:4443"));
  for (char c : a)
    CHECK((isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'));
}

TEST_CASE("finding the persistence cookie among others and across Cookie fields") {
  std::vector<http1::Header> headers = {{"Cookie", "a=1; MS-WSMAN=abc; b=2"}};
  CHECK(find_cookie(headers, "MS-WSMAN") == "abc");
  headers = {{"cookie", "a=1"}, {"Cookie", " MS-WSMAN = \"xyz\" "}};
  CHECK(find_cookie(headers, "MS-WSMAN") == "xyz");
  headers = {{"Cookie", "XMS-WSMAN=1; MS-WSMANX=2"}};
  CHECK(find_cookie(headers, "MS-WSMAN").empty());
  headers = {{"X-Cookie", "MS-WSMAN=1"}};
  CHECK(find_cookie(headers, "MS-WSMAN").empty());
}

TEST_CASE("Set-Cookie: a session cookie with Path=/, Secure and SameSite only when configured") {
  config::PersistenceConfig config;
  CHECK(set_cookie_field(config, "v") == "Set-Cookie: MS-WSMAN=v; Path=/\r\n");
  config.cookie_secure = true;
  config.cookie_samesite = "None";
  config.cookie = "LB";
  CHECK(set_cookie_field(config, "v") == "Set-Cookie: LB=v; Path=/; Secure; SameSite=None\r\n");
}

TEST_CASE("constant-time comparison compares") {
  CHECK(same_value("abc", "abc"));
  CHECK_FALSE(same_value("abc", "abd"));
  CHECK_FALSE(same_value("abc", "ab"));
}

TEST_CASE("source addresses are masked to their prefix") {
  CHECK(SourceIpTable::client_key(address("10.1.2.3"), 32, 64) !=
        SourceIpTable::client_key(address("10.1.2.4"), 32, 64));
  CHECK(SourceIpTable::client_key(address("10.1.2.3"), 24, 64) ==
        SourceIpTable::client_key(address("10.1.2.200"), 24, 64));
  CHECK(SourceIpTable::client_key(address("2001:db8::1"), 32, 64) ==
        SourceIpTable::client_key(address("2001:db8::ffff:1"), 32, 64));
  CHECK(SourceIpTable::client_key(address("2001:db8:0:1::1"), 32, 64) !=
        SourceIpTable::client_key(address("2001:db8:0:2::1"), 32, 64));
}

TEST_CASE("a source-IP entry holds while used and expires timeout after its last use") {
  SourceIpTable table(100);
  uint64_t client = SourceIpTable::client_key(address("192.0.2.1"), 32, 64);
  CHECK(table.lookup(client, 1000000, 20) == 0);
  table.remember(client, 7, 1000000, 20);
  CHECK(table.lookup(client, 1015000, 20) == 7);  // refreshed at 1015
  CHECK(table.lookup(client, 1030000, 20) == 7);  // 15 s after the refresh
  CHECK(table.lookup(client, 1051000, 20) == 0);  // 21 s after the last use
  table.remember(client, 8, 1051000, 20);
  CHECK(table.lookup(client, 1052000, 20) == 8);
  CHECK(table.live_entries(1052000, 20) == 1);
}

TEST_CASE("a full table evicts (and counts) while staying bounded") {
  SourceIpTable table(64);
  for (uint32_t i = 0; i < 2000; ++i) {
    std::string ip = "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256);
    table.remember(SourceIpTable::client_key(address(ip.c_str()), 32, 64), 1, (1000 + i) * 1000,
                   100000);
  }
  CHECK(table.capacity() == 64);
  CHECK(table.evictions() >= 2000 - 64);
  CHECK(table.live_entries(4000000, 100000) <= 64);
  // The most recent clients are still there.
  CHECK(table.lookup(SourceIpTable::client_key(address("10.0.7.207"), 32, 64), 3000000, 100000) ==
        1);
}

TEST_CASE("expired entries are reused before anything is evicted") {
  SourceIpTable table(16);
  for (uint32_t i = 0; i < 16; ++i) {
    std::string ip = "10.1.0." + std::to_string(i);
    table.remember(SourceIpTable::client_key(address(ip.c_str()), 32, 64), 1, 100000, 10);
  }
  // Each of 8 newcomers finds an expired entry in its window (9+ of the 16 slots are expired).
  uint64_t evictions_while_filling = table.evictions();
  for (uint32_t i = 0; i < 8; ++i) {
    std::string ip = "10.2.0." + std::to_string(i);
    table.remember(SourceIpTable::client_key(address(ip.c_str()), 32, 64), 2, 200000, 10);
  }
  CHECK(table.evictions() == evictions_while_filling);
  CHECK(table.live_entries(200000, 10) == 8);
}
