// Unit tests for the response parser and its body framing rules (RFC 9112 6.3).
#include "proxy/http1/response_parser.h"

#include <catch2/catch.hpp>
#include <list>

using namespace espd::http1;

namespace {

ResponseHead parse_ok(const std::string& text, bool head_request = false) {
  // The head's views must outlive this call: keep every text for the test binary's lifetime.
  static std::list<std::string> texts;
  const std::string& kept = texts.emplace_back(text);
  ResponseParser parser;
  ResponseHead head;
  INFO(text);
  REQUIRE(parser.parse(kept, head_request, head) == ParseStatus::kComplete);
  return head;
}

ParseError parse_error(const std::string& text) {
  ResponseParser parser;
  ResponseHead head;
  INFO(text);
  REQUIRE(parser.parse(text, false, head) == ParseStatus::kError);
  return parser.error();
}

}  // namespace

TEST_CASE("status line, reason and fields") {
  ResponseHead head = parse_ok("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nSet-Cookie: a=1\r\n\r\n");
  CHECK(head.status == 200);
  CHECK(head.reason == "OK");
  CHECK(head.body.kind == BodyKind::kContentLength);
  CHECK(head.body.content_length == 3);
  CHECK(head.headers.size() == 2);
  CHECK(parse_ok("HTTP/1.1 204\r\n\r\n").reason == "");
  CHECK(parse_ok("HTTP/1.1 404 Not  Found\r\nContent-Length: 0\r\n\r\n").reason == "Not  Found");
}

TEST_CASE("framing: HEAD, 1xx, 204 and 304 have no body; chunked; until close") {
  CHECK(parse_ok("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", true).body.kind ==
        BodyKind::kNone);
  CHECK(parse_ok("HTTP/1.1 100 Continue\r\n\r\n").body.kind == BodyKind::kNone);
  CHECK(parse_ok("HTTP/1.1 204 No Content\r\n\r\n").body.kind == BodyKind::kNone);
  CHECK(parse_ok("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n").body.kind ==
        BodyKind::kNone);
  CHECK(parse_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n").body.kind ==
        BodyKind::kChunked);
  CHECK(parse_ok("HTTP/1.1 200 OK\r\n\r\n").body.kind == BodyKind::kUntilClose);
  CHECK(parse_ok("HTTP/1.0 200 OK\r\n\r\n").version_minor == 0);
}

TEST_CASE("Connection: close and keep-alive are seen") {
  ResponseHead head = parse_ok("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  CHECK(head.connection_close);
  head = parse_ok("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n");
  CHECK(head.connection_keep_alive);
}

TEST_CASE("invalid responses are refused") {
  CHECK(parse_error("HTTP/2 200 OK\r\n\r\n") == ParseError::kBadStatusLine);
  CHECK(parse_error("HTTP/1.1 20 OK\r\n\r\n") == ParseError::kBadStatusLine);
  CHECK(parse_error("HTTP/1.1 2000 OK\r\n\r\n") == ParseError::kBadStatusLine);
  CHECK(parse_error("HTTP/1.1 099 OK\r\n\r\n") == ParseError::kBadStatusLine);
  CHECK(parse_error("HTTP/1.1 600 OK\r\n\r\n") == ParseError::kBadStatusLine);
  CHECK(parse_error("HTTP/1.1 200 O\x01K\r\n\r\n") == ParseError::kBadStatusLine);
  CHECK(parse_error("ICY 200 OK\r\n\r\n") == ParseError::kBadStatusLine);
  CHECK(parse_error("HTTP/1.1 200 OK\nContent-Length: 1\r\n\r\n") == ParseError::kBareLf);
  CHECK(parse_error("HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n") == ParseError::kObsFold);
  CHECK(parse_error("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n") ==
        ParseError::kDuplicateContentLength);
  CHECK(parse_error("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n") ==
        ParseError::kBadContentLength);
  CHECK(parse_error("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n") ==
        ParseError::kContentLengthWithTransferEncoding);
  CHECK(parse_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n") ==
        ParseError::kBadTransferEncoding);
  CHECK(parse_error("\r\nHTTP/1.1 200 OK\r\n\r\n") == ParseError::kBadStatusLine);
}

TEST_CASE("a response head larger than the limit is refused") {
  ResponseParser parser(ResponseLimits{1024, 100});
  ResponseHead head;
  std::string text = "HTTP/1.1 200 OK\r\nX: " + std::string(2000, 'a');
  CHECK(parser.parse(text, false, head) == ParseStatus::kError);
  CHECK(parser.error() == ParseError::kHeadTooLarge);
}
