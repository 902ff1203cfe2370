// Unit tests for the HTTP byte classes, against the RFC 9110 grammar written out by hand.
#include "proxy/http1/char_class.h"

#include <catch2/catch.hpp>
#include <string>
#include <string_view>

using namespace espd::http1;

namespace {

// RFC 9110 5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_"
//                       / "`" / "|" / "~" / DIGIT / ALPHA
bool rfc_tchar(int c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c != 0 &&
          std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos);
}

// RFC 9110 5.5: field-vchar = VCHAR / obs-text, VCHAR = %x21-7E, obs-text = %x80-FF; values may
// also hold SP and HTAB between them.
bool rfc_field_value_byte(int c) {
  return c == ' ' || c == '\t' || (c >= 0x21 && c <= 0x7e) || (c >= 0x80 && c <= 0xff);
}

}  // namespace

TEST_CASE("every byte is a token character exactly when RFC 9110 tchar says so") {
  for (int c = 0; c < 256; ++c) {
    INFO("byte " << c);
    CHECK(is_token_char(static_cast<unsigned char>(c)) == rfc_tchar(c));
  }
}

TEST_CASE("every byte may be in a field value exactly when RFC 9110 allows it") {
  for (int c = 0; c < 256; ++c) {
    INFO("byte " << c);
    CHECK(is_field_value_char(static_cast<unsigned char>(c)) == rfc_field_value_byte(c));
  }
  CHECK_FALSE(is_field_value_char('\0'));
  CHECK_FALSE(is_field_value_char('\r'));
  CHECK_FALSE(is_field_value_char('\n'));
  CHECK_FALSE(is_field_value_char(0x7f));
}

TEST_CASE("whole tokens and field values") {
  CHECK(is_token("Content-Length"));
  CHECK(is_token("x"));
  CHECK_FALSE(is_token(""));
  CHECK_FALSE(is_token("Content Length"));
  CHECK_FALSE(is_token("Host:"));
  CHECK(is_field_value(""));
  CHECK(is_field_value(" text/html; q=0.9\t\xe4"));
  CHECK_FALSE(is_field_value(std::string_view("a\0b", 3)));
  CHECK_FALSE(is_field_value("a\rb"));
}

TEST_CASE(
    "a field value is valid exactly when each of its bytes is, whatever its length and "
    "wherever the byte sits") {
  // is_field_value looks at eight bytes at a time: every byte value at every offset of values
  // 1 to 24 bytes long (words, partial words and the tail), among valid filler.
  for (size_t length = 1; length <= 24; ++length) {
    for (size_t at = 0; at < length; ++at) {
      for (int c = 0; c < 256; ++c) {
        std::string value(length, 'a');
        value[at] = static_cast<char>(c);
        INFO("length " << length << ", byte " << c << " at " << at);
        REQUIRE(is_field_value(value) == rfc_field_value_byte(c));
      }
    }
  }
  // Near-misses of the word test: bytes just around its thresholds, and several in one word.
  CHECK(is_field_value(std::string(16, '\x20')));
  CHECK(is_field_value(std::string(16, '\x7e')));
  CHECK(is_field_value(std::string(16, '\x80')));
  CHECK(is_field_value(std::string(16, '\xff')));
  CHECK(is_field_value("\t\t\t\t\t\t\t\t\t"));
  CHECK_FALSE(is_field_value(std::string(16, '\x1f')));
  CHECK_FALSE(is_field_value(std::string(16, '\x7f')));
  CHECK_FALSE(is_field_value("abcdefg\tabcdefg\x7f"));
}

TEST_CASE("lower-casing folds ASCII letters only") {
  for (int c = 0; c < 256; ++c) {
    INFO("byte " << c);
    int expected = c >= 'A' && c <= 'Z' ? c + 32 : c;
    CHECK(to_lower_ascii(static_cast<unsigned char>(c)) == expected);
  }
}

TEST_CASE("iequals compares ASCII case-insensitively, nothing else") {
  CHECK(iequals("Content-Length", "content-length"));
  CHECK(iequals("", ""));
  CHECK_FALSE(iequals("content-length", "content-lengt"));
  CHECK_FALSE(iequals("content_length", "content-length"));
  CHECK_FALSE(iequals("\xc4", "\xe4"));  // Latin-1 letters are not folded
  CHECK_FALSE(iequals("@", "`"));        // 0x40 / 0x60: neighbours of the letters
  CHECK_FALSE(iequals("[", "{"));
  static_assert(iequals("HOST", "host"));
}

TEST_CASE("trim_ows removes spaces and tabs at both ends only") {
  CHECK(trim_ows("  a b\t ") == "a b");
  CHECK(trim_ows("\t") == "");
  CHECK(trim_ows("") == "");
  CHECK(trim_ows("x") == "x");
}
