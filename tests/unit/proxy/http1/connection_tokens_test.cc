// Unit tests for the set of field names a Connection header lists.
#include "proxy/http1/connection_tokens.h"

#include <catch2/catch.hpp>
#include <string>

using namespace espd::http1;

TEST_CASE("no Connection field: an empty set") {
  std::vector<Header> headers = {{"Host", "a"}, {"Connection-Extra", "x"}};
  ConnectionTokens tokens(headers);
  CHECK(tokens.empty());
  CHECK_FALSE(tokens.contains("Host"));
  CHECK_FALSE(tokens.contains("x"));
}

TEST_CASE("tokens of every Connection field, any case, empty elements skipped") {
  std::vector<Header> headers = {
      {"connection", "keep-alive, , X-Secret"}, {"Host", "a"}, {"CONNECTION", "\tX-Other ,close"}};
  ConnectionTokens tokens(headers);
  CHECK_FALSE(tokens.empty());
  CHECK(tokens.contains("Keep-Alive"));
  CHECK(tokens.contains("x-secret"));
  CHECK(tokens.contains("X-OTHER"));
  CHECK(tokens.contains("close"));
  CHECK_FALSE(tokens.contains("Host"));
  CHECK_FALSE(tokens.contains("X-Secre"));
  CHECK_FALSE(tokens.contains(""));
}

TEST_CASE("more tokens than kept inline are all still found") {
  std::string many;
  for (int i = 0; i < 20; ++i)
    many += "X-T" + std::to_string(i) + ",";
  std::vector<Header> headers = {{"Connection", many}};
  ConnectionTokens tokens(headers);
  CHECK_FALSE(tokens.empty());
  for (int i = 0; i < 20; ++i) {
    INFO(i);
    CHECK(tokens.contains("x-t" + std::to_string(i)));
  }
  CHECK_FALSE(tokens.contains("X-T20"));
}

TEST_CASE("the set agrees with listed_in_connection") {
  std::vector<Header> headers = {{"Connection", "a, B"}, {"connection", "c"}};
  ConnectionTokens tokens(headers);
  for (std::string_view name : {"a", "A", "b", "c", "d", "ab", "Connection"}) {
    INFO(name);
    CHECK(tokens.contains(name) == listed_in_connection(headers, name));
  }
}
