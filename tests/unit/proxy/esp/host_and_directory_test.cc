// Unit tests for allowed virtual hosts and allowed virtual directories.
#include <catch2/catch.hpp>

#include "proxy/esp/directory_matcher.h"
#include "proxy/esp/host_matcher.h"

using namespace espd::esp;

TEST_CASE("host normalisation: case, trailing dot, port, IPv6") {
  NormalizedHost h = normalize_host("MEET.MyCloud.AG.");
  REQUIRE(h.valid);
  CHECK(h.name == "meet.mycloud.ag");
  CHECK(h.port == 0);
  h = normalize_host("ws-ext.mycloud.ag:443");
  REQUIRE(h.valid);
  CHECK(h.name == "ws-ext.mycloud.ag");
  CHECK(h.port == 443);
  h = normalize_host("[::1]:8443");
  REQUIRE(h.valid);
  CHECK(h.name == "[::1]");
  CHECK(h.port == 8443);
  for (const char* bad : {"", ".", "a..b", ".a", "a:0", "a:99999", "a:x", "a:", "[::1", "[::g]",
                          "a b", "a/b", "a%2eb"}) {
    INFO(bad);
    CHECK_FALSE(normalize_host(bad).valid);
  }
}

// Found by fuzz/host_matcher_fuzzer.cc (corpus: regression-double-trailing-dot,
// regression-short-ipv6-literal, regression-nul-in-ipv6-literal): only one trailing dot is dropped,
// and a bracketed host must be an IPv6 address (the Host grammar check before it refuses "[1]",
// but lets "[1.2.3.4]" and "[::1::2]" through).
TEST_CASE("two trailing dots and bracketed non-addresses are not hosts") {
  for (const char* bad : {"RR..", "meet.mycloud.ag..", "a..:443", "[1]:8443", "[]", "[:]",
                          "[::1::2]", "[1.2.3.4]", "[fffff::]"}) {
    INFO(bad);
    CHECK_FALSE(normalize_host(bad).valid);
  }
  CHECK_FALSE(normalize_host(std::string("[::\0\0:1]:443", 12)).valid);  // inet_pton stops at NUL
  for (const char* good : {"[::]", "[2001:DB8::1]:443", "[::ffff:10.0.0.1]"}) {
    INFO(good);
    CHECK(normalize_host(good).valid);
  }
  CHECK(normalize_host("[2001:DB8::1]:443").name == "[2001:db8::1]");
}

TEST_CASE("exact allowed hosts match case-insensitively") {
  HostMatcher matcher({"WS-EXT.MYCLOUD.AG", "meet.mycloud.ag", "10.0.0.1", "::1"});
  CHECK(matcher.matches(normalize_host("ws-ext.mycloud.ag").name));
  CHECK(matcher.matches(normalize_host("Meet.MyCloud.Ag.").name));
  CHECK(matcher.matches(normalize_host("10.0.0.1:443").name));
  CHECK(matcher.matches(normalize_host("[::1]").name));
  CHECK_FALSE(matcher.matches(normalize_host("dialin.mycloud.ag").name));
  CHECK_FALSE(matcher.matches(normalize_host("meet.mycloud.ag.evil.example").name));
  CHECK_FALSE(matcher.matches(normalize_host("xmeet.mycloud.ag").name));
}

TEST_CASE("a wildcard allows exactly one more label") {
  HostMatcher matcher({"*.MyCloud.ag"});
  CHECK(matcher.matches("meet.mycloud.ag"));
  CHECK(matcher.matches("lyncdiscover.mycloud.ag"));
  CHECK_FALSE(matcher.matches("mycloud.ag"));
  CHECK_FALSE(matcher.matches("a.b.mycloud.ag"));
  CHECK_FALSE(matcher.matches("evilmycloud.ag"));
  CHECK_FALSE(matcher.matches("[::1]"));
}

TEST_CASE("an empty host list allows nothing") {
  HostMatcher matcher(std::vector<std::string>{});
  CHECK(matcher.empty());
  CHECK_FALSE(matcher.matches("meet.mycloud.ag"));
}

TEST_CASE("directory patterns: /* allows everything, prefixes, case-insensitive by default") {
  DirectoryMatcher all({"/*"}, false);
  CHECK(all.matches("/"));
  CHECK(all.matches("/anything/at/all"));
  DirectoryMatcher lync({"/abs/*", "/meet/*", "/owa*", "/Dialin/*"}, false);
  CHECK(lync.matches("/abs/handler"));
  CHECK(lync.matches("/ABS/Handler"));
  CHECK(lync.matches("/meet/"));
  CHECK(lync.matches("/MEET/x/y"));
  CHECK(lync.matches("/owa"));
  CHECK(lync.matches("/owa/auth"));
  CHECK(lync.matches("/OWAx"));
  CHECK(lync.matches("/dialin/"));
  CHECK_FALSE(lync.matches("/meet"));
  CHECK_FALSE(lync.matches("/admin/"));
  CHECK_FALSE(lync.matches("/"));
  CHECK_FALSE(lync.matches("/xabs/handler"));
}

TEST_CASE("case-sensitive directory matching when configured") {
  DirectoryMatcher matcher({"/Meet/*"}, true);
  CHECK(matcher.matches("/Meet/x"));
  CHECK_FALSE(matcher.matches("/meet/x"));
  CHECK_FALSE(matcher.matches("/MEET/x"));
}

TEST_CASE("globs with several stars and no catastrophic backtracking") {
  CHECK(glob_match("/a*b*c", "/axxbyyc", false));
  CHECK_FALSE(glob_match("/a*b*c", "/axxbyy", false));
  std::string long_text = "/" + std::string(20000, 'a');
  CHECK_FALSE(glob_match("/*a*a*a*a*a*b", long_text, false));
}
