// Unit tests for the field-line grammar (RFC 9110 5, RFC 9112 5): parse_field_line against the
// grammar written out the plain way, on generated lines.
#include "proxy/http1/field_syntax.h"

#include <catch2/catch.hpp>
#include <string>
#include <string_view>
#include <vector>

using namespace espd::http1;

namespace {

// field-line = field-name ":" OWS field-value OWS, said the plain way: the first colon ends the
// name, which must be a non-empty token; the value is trimmed of OWS.
ParseError reference(std::string_view line, Header& field) {
  if (!line.empty() && (line.front() == ' ' || line.front() == '\t')) return ParseError::kObsFold;
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return ParseError::kBadHeaderName;
  for (char c : line.substr(0, colon)) {
    if (!is_token_char(static_cast<unsigned char>(c))) return ParseError::kBadHeaderName;
  }
  std::string_view value = line.substr(colon + 1);
  for (char c : value) {
    if (!is_field_value_char(static_cast<unsigned char>(c))) return ParseError::kBadHeaderValue;
  }
  field.name = line.substr(0, colon);
  field.value = trim_ows(value);
  return ParseError::kNone;
}

}  // namespace

TEST_CASE("field lines parse into name and trimmed value") {
  Header field;
  REQUIRE(parse_field_line("Content-Length: 1024", field) == ParseError::kNone);
  CHECK(field.name == "Content-Length");
  CHECK(field.value == "1024");
  REQUIRE(parse_field_line("X-Empty:", field) == ParseError::kNone);
  CHECK(field.value.empty());
  REQUIRE(parse_field_line("Date: \t Wed, 02 Dec 2026 06:44:00 GMT \t", field) ==
          ParseError::kNone);
  CHECK(field.value == "Wed, 02 Dec 2026 06:44:00 GMT");
  REQUIRE(parse_field_line("X-Colon: a:b", field) == ParseError::kNone);
  CHECK(field.value == "a:b");
}

TEST_CASE("bad field lines get the error of their first fault") {
  Header field;
  CHECK(parse_field_line(" folded", field) == ParseError::kObsFold);
  CHECK(parse_field_line("\tfolded: x", field) == ParseError::kObsFold);
  CHECK(parse_field_line(": no name", field) == ParseError::kBadHeaderName);
  CHECK(parse_field_line("Host : space before colon", field) == ParseError::kBadHeaderName);
  CHECK(parse_field_line("no colon at all", field) == ParseError::kBadHeaderName);
  CHECK(parse_field_line("NoColon", field) == ParseError::kBadHeaderName);
  CHECK(parse_field_line("Bad\x01Name: v", field) == ParseError::kBadHeaderName);
  CHECK(parse_field_line("X: a\x7f b", field) == ParseError::kBadHeaderValue);
  CHECK(parse_field_line(std::string_view("X: a\0b", 6), field) == ParseError::kBadHeaderValue);
}

TEST_CASE("parse_field_line agrees with the plain grammar on every byte in every place") {
  // Each byte value put into the name, at the colon, and at each place of values of several
  // lengths (the value check works eight bytes at a time).
  std::vector<std::string> templates = {"Name: value", "N:v", "X-Long-Name: 0123456789abcdefghij",
                                        "Accept: text/html, application/xhtml+xml;q=0.9"};
  for (const std::string& base : templates) {
    for (size_t at = 0; at < base.size(); ++at) {
      for (int c = 0; c < 256; ++c) {
        std::string line = base;
        line[at] = static_cast<char>(c);
        Header mine, theirs;
        ParseError expected = reference(line, theirs);
        INFO("line with byte " << c << " at " << at << " of \"" << base << "\"");
        REQUIRE(parse_field_line(line, mine) == expected);
        if (expected == ParseError::kNone) {
          REQUIRE(mine.name == theirs.name);
          REQUIRE(mine.value == theirs.value);
        }
      }
    }
  }
}
