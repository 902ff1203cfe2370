// Unit tests for path normalisation: decoding, dot-segments, and every encoding trick refused.
#include "proxy/esp/path_normalizer.h"

#include <catch2/catch.hpp>
#include <string>

using namespace espd::esp;

namespace {

std::string normalized(const std::string& raw) {
  std::string out;
  INFO(raw);
  REQUIRE(normalize_path(raw, out) == PathError::kNone);
  return out;
}

PathError error_of(const std::string& raw) {
  std::string out;
  return normalize_path(raw, out);
}

}  // namespace

TEST_CASE("ordinary paths are unchanged") {
  for (const char* path :
       {"/", "/meet/", "/meet/abc", "/abs/handler/x.aspx", "/ucwa/oauth/v1/sip:u@c.com", "/a-b_c~d",
        "/file.txt", "/.well-known/x", "/a..b/c", "/a/...", "/%3A%40"}) {
    CHECK(normalized(path) == path);
  }
}

TEST_CASE("unreserved characters are decoded, others stay encoded with upper-case hex") {
  CHECK(normalized("/%6d%65%65%74/") == "/meet/");
  CHECK(normalized("/M%45ET") == "/MEET");
  CHECK(normalized("/a%7eb%2Dc%5f") == "/a~b-c_");
  CHECK(normalized("/file%2etxt") == "/file.txt");
  CHECK(normalized("/a%3ab%20c") == "/a%3Ab%20c");
  CHECK(normalized("/%25") == "/%25");
  CHECK(normalized("/caf%c3%a9") == "/caf%C3%A9");
  CHECK(normalized("/%e2%82%ac") == "/%E2%82%AC");
  CHECK(normalized("/%f0%9f%98%80") == "/%F0%9F%98%80");
}

TEST_CASE("dot-segments are removed (RFC 3986 5.2.4) and slashes merged") {
  CHECK(normalized("/a/./b") == "/a/b");
  CHECK(normalized("/a/b/../c") == "/a/c");
  CHECK(normalized("/a/b/..") == "/a/");
  CHECK(normalized("/a/b/.") == "/a/b/");
  CHECK(normalized("/meet/../dialin/") == "/dialin/");
  CHECK(normalized("//a///b//") == "/a/b/");
  CHECK(normalized("/a/b/../../c") == "/c");
  CHECK(normalized("/a/..") == "/");
  CHECK(normalized("/.") == "/");
  CHECK(normalized("/a/%6d/../b") == "/a/b");
}

TEST_CASE("climbing above the root is refused") {
  for (const char* path :
       {"/..", "/../", "/../etc/passwd", "/a/../..", "/a/b/../../../c", "//..//x"}) {
    INFO(path);
    CHECK(error_of(path) == PathError::kAboveRoot);
  }
}

TEST_CASE("encoded slash, backslash and NUL are refused in every case") {
  for (const char* path : {"/a%2fb", "/a%2Fb", "/%2f..", "/meet%2f..%2fadmin"}) {
    INFO(path);
    CHECK(error_of(path) == PathError::kEncodedSlash);
  }
  for (const char* path : {"/a%5cb", "/a%5Cb", "/..%5c..%5cwindows"}) {
    INFO(path);
    CHECK(error_of(path) == PathError::kEncodedBackslash);
  }
  CHECK(error_of("/a%00b") == PathError::kEncodedNul);
  CHECK(error_of("/a\\b") == PathError::kBackslash);
  CHECK(error_of("/meet\\..\\admin") == PathError::kBackslash);
}

TEST_CASE("encoded dot-segments are refused, upper and lower case") {
  for (const char* path : {"/%2e%2e/x", "/%2E%2E/x", "/%2e%2E/x", "/a/%2e%2e", "/a/.%2e/b",
                           "/a/%2e./b", "/a/%2e/b", "/a/%2E", "/meet/%2e%2e/%2e%2e/admin"}) {
    INFO(path);
    CHECK(error_of(path) == PathError::kEncodedDotSegment);
  }
}

TEST_CASE("double-encoded separators and dots are refused") {
  for (const char* path : {"/%252e%252e/x", "/%252E", "/a%252fb", "/a%255cb", "/%2500", "/%2525"}) {
    INFO(path);
    CHECK(error_of(path) == PathError::kDoubleEncoding);
  }
}

// Found with fuzz/path_normalizer_fuzzer.cc's idempotence oracle (corpus:
// regression-double-encoding-encoded-digits): "%25%32%65" decoded to "%252e", which was forwarded.
TEST_CASE("double encoding is refused also when the encoded digits are encoded themselves") {
  for (const char* path : {"/a/%25%32%65", "/a/%25%32%45%25%32%65/x", "/a/%25%32%66", "/a/%252%65",
                           "/a/%25%35%63", "/a/%25%30%30", "/a/%25%32%35"}) {
    INFO(path);
    CHECK(error_of(path) == PathError::kDoubleEncoding);
  }
  CHECK(normalized("/a/%25%34%31") == "/a/%2541");  // "%41" is "A": nothing hidden
}

TEST_CASE("overlong and invalid UTF-8 is refused") {
  for (const char* path :
       {"/%c0%ae%c0%ae/x", "/%C0%AE", "/%c1%9c", "/%e0%80%ae", "/%f0%80%80%ae"}) {
    INFO(path);
    CHECK(error_of(path) == PathError::kOverlongUtf8);
  }
  for (const char* path :
       {"/%c3", "/%c3%41", "/%80", "/%ff", "/%ed%a0%80", "/%f5%80%80%80", "/%e2%82"}) {
    INFO(path);
    CHECK(error_of(path) == PathError::kInvalidUtf8);
  }
}

TEST_CASE("malformed percent-encoding is refused") {
  for (const char* path : {"/%", "/%2", "/%zz", "/a%g0", "/%%32%65"}) {
    INFO(path);
    CHECK(error_of(path) == PathError::kInvalidPercentEncoding);
  }
  CHECK(error_of("meet/") == PathError::kNotAbsolute);
  CHECK(error_of("") == PathError::kNotAbsolute);
}

TEST_CASE("every error has a stable reason") {
  CHECK(std::string(path_error_reason(PathError::kEncodedSlash)) == "encoded_slash");
  CHECK(std::string(path_error_reason(PathError::kAboveRoot)) == "path_above_root");
  CHECK(std::string(path_error_reason(PathError::kOverlongUtf8)) == "overlong_utf8");
}
