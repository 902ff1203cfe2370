// Unit tests for RFC 6125 name matching of certificate names.
#include "certs/hostname_match.h"

#include <catch2/catch.hpp>

using espd::certs::certificate_name_matches;

TEST_CASE("exact names match case-insensitively, trailing dot ignored") {
  CHECK(certificate_name_matches("meet.mycloud.ag", "meet.mycloud.ag"));
  CHECK(certificate_name_matches("meet.mycloud.ag", "MEET.MyCloud.AG"));
  CHECK(certificate_name_matches("meet.mycloud.ag", "meet.mycloud.ag."));
  CHECK_FALSE(certificate_name_matches("meet.mycloud.ag", "dialin.mycloud.ag"));
  CHECK_FALSE(certificate_name_matches("meet.mycloud.ag", "meet.mycloud.ag.evil"));
  CHECK_FALSE(certificate_name_matches("meet.mycloud.ag", ""));
}

TEST_CASE("a wildcard covers exactly one left-most label") {
  CHECK(certificate_name_matches("*.mycloud.ag", "meet.mycloud.ag"));
  CHECK(certificate_name_matches("*.mycloud.ag", "LyncDiscover.mycloud.ag"));
  CHECK_FALSE(certificate_name_matches("*.mycloud.ag", "mycloud.ag"));
  CHECK_FALSE(certificate_name_matches("*.mycloud.ag", "a.b.mycloud.ag"));
  CHECK_FALSE(certificate_name_matches("*.mycloud.ag", ".mycloud.ag"));
}

TEST_CASE("only a whole-label wildcard is a wildcard, never for IP addresses") {
  CHECK_FALSE(certificate_name_matches("f*.mycloud.ag", "fe.mycloud.ag"));
  CHECK_FALSE(certificate_name_matches("*.0.0.1", "127.0.0.1"));
  CHECK(certificate_name_matches("127.0.0.1", "127.0.0.1"));
}
