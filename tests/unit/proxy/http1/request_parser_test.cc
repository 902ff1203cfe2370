// Unit tests for the strict HTTP/1.1 request parser: accepted forms and every rejected form.
#include "proxy/http1/request_parser.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>

using namespace espd::http1;

namespace {

struct Parsed {
  std::shared_ptr<const std::string> text;  // the head's views point into it
  ParseStatus status;
  ParseError error;
  size_t consumed;
  RequestHead head;
};

Parsed parse(const std::string& text, RequestLimits limits = {}) {
  RequestParser parser(limits);
  Parsed result;
  result.text = std::make_shared<const std::string>(text);
  result.status = parser.parse(*result.text, result.head);
  result.error = parser.error();
  result.consumed = parser.consumed();
  return result;
}

ParseError error_of(const std::string& text, RequestLimits limits = {}) {
  Parsed parsed = parse(text, limits);
  INFO(text);
  REQUIRE(parsed.status == ParseStatus::kError);
  return parsed.error;
}

}  // namespace

TEST_CASE("a simple GET parses into method, path, query and host") {
  std::string text =
      "GET /meet/abc?x=1&y=2 HTTP/1.1\r\nHost: meet.mycloud.ag\r\nAccept: */*\r\n\r\n";
  Parsed p = parse(text);
  REQUIRE(p.status == ParseStatus::kComplete);
  CHECK(p.consumed == text.size());
  CHECK(p.head.method == "GET");
  CHECK(p.head.target == "/meet/abc?x=1&y=2");
  CHECK(p.head.path == "/meet/abc");
  CHECK(p.head.query == "x=1&y=2");
  CHECK(p.head.host == "meet.mycloud.ag");
  CHECK(p.head.version_minor == 1);
  CHECK(p.head.body.kind == BodyKind::kNone);
  CHECK_FALSE(p.head.connection_close);
  REQUIRE(p.head.headers.size() == 2);
  CHECK(p.head.headers[1].name == "Accept");
  CHECK(p.head.headers[1].value == "*/*");
}

TEST_CASE("a POST with Content-Length and one with chunked framing") {
  Parsed cl = parse("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 42\r\n\r\n");
  REQUIRE(cl.status == ParseStatus::kComplete);
  CHECK(cl.head.body.kind == BodyKind::kContentLength);
  CHECK(cl.head.body.content_length == 42);
  Parsed chunked = parse("POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked \r\n\r\n");
  REQUIRE(chunked.status == ParseStatus::kComplete);
  CHECK(chunked.head.body.kind == BodyKind::kChunked);
}

TEST_CASE("field values lose surrounding whitespace, keep inner whitespace and obs-text") {
  Parsed p =
      parse("GET / HTTP/1.1\r\nHost: a\r\nX-A: \t one  two \t\r\nX-B: caf\xc3\xa9\r\nX-C:\r\n\r\n");
  REQUIRE(p.status == ParseStatus::kComplete);
  CHECK(p.head.headers[1].value == "one  two");
  CHECK(p.head.headers[2].value == "caf\xc3\xa9");
  CHECK(p.head.headers[3].value == "");
}

TEST_CASE("pipelined requests: consumed() stops at the end of the first head") {
  std::string first = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n";
  std::string second = "GET /2 HTTP/1.1\r\nHost: a\r\n\r\n";
  RequestParser parser;
  RequestHead head;
  std::string both = first + second;
  REQUIRE(parser.parse(both, head) == ParseStatus::kComplete);
  CHECK(parser.consumed() == first.size());
  CHECK(head.path == "/1");
  parser.reset();
  REQUIRE(parser.parse(std::string_view(both).substr(first.size()), head) ==
          ParseStatus::kComplete);
  CHECK(head.path == "/2");
}

TEST_CASE("feeding a head byte by byte gives the same result as one shot") {
  std::string text =
      "POST /abs/handler?q HTTP/1.1\r\nHost: ws-ext.mycloud.ag:443\r\nContent-Length: 7\r\n"
      "Cookie: MS-WSMAN=x\r\n\r\nbodybody";
  RequestParser parser;
  RequestHead head;
  size_t end = text.find("\r\n\r\n") + 4;
  for (size_t n = 1; n <= text.size(); ++n) {
    ParseStatus status = parser.parse(std::string_view(text).substr(0, n), head);
    if (n < end) {
      REQUIRE(status == ParseStatus::kIncomplete);
    } else {
      REQUIRE(status == ParseStatus::kComplete);
      CHECK(parser.consumed() == end);
      CHECK(head.host == "ws-ext.mycloud.ag:443");
      CHECK(head.body.content_length == 7);
      break;
    }
  }
}

TEST_CASE("CRLF CRLF split across calls at every position") {
  std::string text = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  for (size_t split = 1; split < text.size(); ++split) {
    RequestParser parser;
    RequestHead head;
    CHECK(parser.parse(std::string_view(text).substr(0, split), head) == ParseStatus::kIncomplete);
    CHECK(parser.parse(text, head) == ParseStatus::kComplete);
  }
}

TEST_CASE("up to two empty lines before the request line are skipped, a third is refused") {
  Parsed p = parse("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
  REQUIRE(p.status == ParseStatus::kComplete);
  CHECK(p.head.method == "GET");
  CHECK(error_of("\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n") == ParseError::kBadRequestLine);
}

TEST_CASE("HTTP/1.0: no Host needed, closes unless keep-alive, no chunked") {
  Parsed p = parse("GET / HTTP/1.0\r\n\r\n");
  REQUIRE(p.status == ParseStatus::kComplete);
  CHECK(p.head.version_minor == 0);
  CHECK(p.head.connection_close);
  Parsed ka = parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
  REQUIRE(ka.status == ParseStatus::kComplete);
  CHECK_FALSE(ka.head.connection_close);
  CHECK(ka.head.connection_keep_alive);
  CHECK(error_of("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n") ==
        ParseError::kBadTransferEncoding);
}

TEST_CASE("Connection tokens and Expect: 100-continue") {
  Parsed p =
      parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, CLOSE\r\nExpect: 100-Continue\r\n\r\n");
  REQUIRE(p.status == ParseStatus::kComplete);
  CHECK(p.head.connection_close);
  CHECK(p.head.expect_continue);
}

TEST_CASE("absolute-form targets give authority, path and query") {
  Parsed p =
      parse("GET https://meet.mycloud.ag/meet/x?y=1 HTTP/1.1\r\nHost: meet.mycloud.ag\r\n\r\n");
  REQUIRE(p.status == ParseStatus::kComplete);
  CHECK(p.head.absolute_authority == "meet.mycloud.ag");
  CHECK(p.head.path == "/meet/x");
  CHECK(p.head.query == "y=1");
  Parsed bare = parse("GET http://a.example:8080 HTTP/1.1\r\nHost: a.example:8080\r\n\r\n");
  REQUIRE(bare.status == ParseStatus::kComplete);
  CHECK(bare.head.path == "/");
  CHECK(bare.head.absolute_authority == "a.example:8080");
}

TEST_CASE("asterisk-form only for OPTIONS; CONNECT is not supported") {
  Parsed p = parse("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n");
  REQUIRE(p.status == ParseStatus::kComplete);
  CHECK(p.head.path == "*");
  CHECK(error_of("GET * HTTP/1.1\r\nHost: a\r\n\r\n") == ParseError::kBadTarget);
  CHECK(error_of("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n") == ParseError::kBadMethod);
}

TEST_CASE("smuggling: Content-Length together with Transfer-Encoding") {
  CHECK(error_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: "
                 "chunked\r\n\r\n") == ParseError::kContentLengthWithTransferEncoding);
  CHECK(error_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: "
                 "5\r\n\r\n") == ParseError::kContentLengthWithTransferEncoding);
}

TEST_CASE("smuggling: every invalid or repeated Content-Length") {
  for (const char* value :
       {"+5", "-1", "5, 5", "5,5", "0x5", "5a", "", "99999999999999999999", "1 2", "5.0"}) {
    INFO(value);
    CHECK(error_of(std::string("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: ") + value +
                   "\r\n\r\n") == ParseError::kBadContentLength);
  }
  CHECK(error_of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n") ==
        ParseError::kDuplicateContentLength);
  Parsed ows = parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:  5 \r\n\r\n");
  REQUIRE(ows.status == ParseStatus::kComplete);
  CHECK(ows.head.body.content_length == 5);
  Parsed max = parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775807\r\n\r\n");
  CHECK(max.status == ParseStatus::kComplete);
}

TEST_CASE("smuggling: Transfer-Encoding other than a single chunked") {
  for (const char* value : {"chunked, chunked", "chunked, identity", "gzip, chunked", "identity",
                            "gzip", "xchunked", "chunked;q=1", "\"chunked\""}) {
    INFO(value);
    CHECK(error_of(std::string("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ") + value +
                   "\r\n\r\n") == ParseError::kBadTransferEncoding);
  }
  CHECK(error_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\x0b\r\n\r\n") ==
        ParseError::kBadHeaderValue);
  CHECK(error_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
                 "chunked\r\n\r\n") == ParseError::kBadTransferEncoding);
  CHECK(error_of("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n") ==
        ParseError::kBadHeaderName);
}

TEST_CASE("smuggling: underscore lookalikes of the framing fields are refused") {
  for (const char* line : {"Content_Length: 5", "content_length: 5", "Transfer_Encoding: chunked",
                           "TRANSFER_ENCODING: chunked", "Transfer-Encoding_: x"}) {
    INFO(line);
    std::string text = std::string("POST / HTTP/1.1\r\nHost: a\r\n") + line + "\r\n\r\n";
    Parsed parsed = parse(text);
    if (std::string_view(line).find("Encoding_") != std::string_view::npos) {
      CHECK(parsed.status == ParseStatus::kComplete);  // not the same name: an unknown field
    } else {
      REQUIRE(parsed.status == ParseStatus::kError);
      CHECK(parsed.error == ParseError::kFramingFieldLookalike);
    }
  }
  CHECK(std::string(error_reason(ParseError::kFramingFieldLookalike)) == "framing_field_lookalike");
  CHECK(request_error_status(ParseError::kFramingFieldLookalike) == 400);
}

TEST_CASE("smuggling: a Content-Length with leading zeros is the decimal number (RFC 9110 8.6)") {
  Parsed parsed = parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 05\r\n\r\n");
  REQUIRE(parsed.status == ParseStatus::kComplete);
  CHECK(parsed.head.body.kind == BodyKind::kContentLength);
  CHECK(parsed.head.body.content_length == 5);  // not octal; forwarded as "5"
  Parsed zeros = parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0000000000000000010\r\n\r\n");
  REQUIRE(zeros.status == ParseStatus::kComplete);
  CHECK(zeros.head.body.content_length == 10);
}

TEST_CASE("obs-fold is refused") {
  CHECK(error_of("GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n two\r\n\r\n") == ParseError::kObsFold);
  CHECK(error_of("GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n\ttwo\r\n\r\n") == ParseError::kObsFold);
}

TEST_CASE("bare LF is refused wherever it appears") {
  CHECK(error_of("GET / HTTP/1.1\nHost: a\r\n\r\n") == ParseError::kBareLf);
  CHECK(error_of("GET / HTTP/1.1\r\nHost: a\n\r\n") == ParseError::kBareLf);
  CHECK(error_of("GET / HTTP/1.1\r\nHost: a\r\n\n") == ParseError::kBareLf);
  CHECK(error_of("GET / HTTP/1.1\r\nHost: a\r\nX: y\nZ: w\r\n\r\n") == ParseError::kBareLf);
  CHECK(error_of("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n") == ParseError::kBareLf);
}

TEST_CASE("bare LF is refused as soon as it is seen, not after the size limit") {
  RequestParser parser;
  RequestHead head;
  CHECK(parser.parse("GET / HTTP/1.1\nHost", head) == ParseStatus::kError);
  CHECK(parser.error() == ParseError::kBareLf);
}

TEST_CASE("control characters in field values are refused") {
  for (char c : {'\0', '\x01', '\x1f', '\x7f', '\r', '\x0b', '\x0c'}) {
    std::string text = "GET / HTTP/1.1\r\nHost: a\r\nX-A: a";
    text += c;
    text += "b\r\n\r\n";
    INFO(static_cast<int>(c));
    CHECK(error_of(text) == ParseError::kBadHeaderValue);
  }
}

TEST_CASE("field names must be tokens with the colon right after") {
  CHECK(error_of("GET / HTTP/1.1\r\nHost: a\r\nX A: b\r\n\r\n") == ParseError::kBadHeaderName);
  CHECK(error_of("GET / HTTP/1.1\r\nHost: a\r\n: b\r\n\r\n") == ParseError::kBadHeaderName);
  CHECK(error_of("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n") == ParseError::kBadHeaderName);
  CHECK(error_of("GET / HTTP/1.1\r\nHost: a\r\nX(A): b\r\n\r\n") == ParseError::kBadHeaderName);
}

TEST_CASE("Host is required in 1.1, once, and must be a host") {
  CHECK(error_of("GET / HTTP/1.1\r\n\r\n") == ParseError::kMissingHost);
  CHECK(error_of("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") == ParseError::kDuplicateHost);
  CHECK(error_of("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n") == ParseError::kDuplicateHost);
  for (const char* host :
       {"", "a b", "a/b", "a:", "a:0", "a:65536", "a:x", "[::1", "[zz]", "a@b", "a:1:2"}) {
    INFO(host);
    CHECK(error_of(std::string("GET / HTTP/1.1\r\nHost: ") + host + "\r\n\r\n") ==
          ParseError::kBadHost);
  }
  for (const char* host :
       {"meet.mycloud.ag", "MEET.MyCloud.AG.", "10.0.0.1:443", "[::1]:8443", "a_b-c.example"}) {
    INFO(host);
    CHECK(parse(std::string("GET / HTTP/1.1\r\nHost: ") + host + "\r\n\r\n").status ==
          ParseStatus::kComplete);
  }
}

TEST_CASE("request line syntax") {
  CHECK(error_of("GET  / HTTP/1.1\r\nHost: a\r\n\r\n") == ParseError::kBadRequestLine);
  CHECK(error_of("GET / HTTP/1.1 \r\nHost: a\r\n\r\n") == ParseError::kBadRequestLine);
  CHECK(error_of("GET /\r\nHost: a\r\n\r\n") == ParseError::kBadRequestLine);
  CHECK(error_of(" GET / HTTP/1.1\r\nHost: a\r\n\r\n") == ParseError::kBadRequestLine);
  CHECK(error_of("G(T / HTTP/1.1\r\nHost: a\r\n\r\n") == ParseError::kBadMethod);
  CHECK(error_of("GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n") == ParseError::kBadTarget);
  CHECK(error_of("GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n") == ParseError::kBadTarget);
  CHECK(error_of("GET a/b HTTP/1.1\r\nHost: a\r\n\r\n") == ParseError::kBadTarget);
  CHECK(error_of("GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n") == ParseError::kBadTarget);
  CHECK(error_of("GET / HTTP/1.1x\r\nHost: a\r\n\r\n") == ParseError::kBadVersion);
  CHECK(error_of("GET / http/1.1\r\nHost: a\r\n\r\n") == ParseError::kBadVersion);
  CHECK(error_of("GET / HTTP/2.0\r\nHost: a\r\n\r\n") == ParseError::kVersionNotSupported);
  CHECK(error_of("GET / HTTP/0.9\r\nHost: a\r\n\r\n") == ParseError::kVersionNotSupported);
  CHECK(request_error_status(ParseError::kVersionNotSupported) == 505);
}

TEST_CASE("limits: head size exactly at the limit passes, one byte over fails with 431") {
  std::string start = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
  std::string end = "\r\n\r\n";
  RequestLimits limits;
  limits.max_head_bytes = 1024;
  std::string at_limit = start + std::string(1024 - start.size() - end.size(), 'v') + end;
  REQUIRE(at_limit.size() == 1024);
  CHECK(parse(at_limit, limits).status == ParseStatus::kComplete);
  std::string over = start + std::string(1025 - start.size() - end.size(), 'v') + end;
  CHECK(error_of(over, limits) == ParseError::kHeadTooLarge);
  // Without the end of the head, as soon as more than the limit is buffered.
  CHECK(error_of(start + std::string(1100, 'v'), limits) == ParseError::kHeadTooLarge);
  CHECK(request_error_status(ParseError::kHeadTooLarge) == 431);
}

// Found by fuzz/http1_request_fuzzer.cc (corpus: regression-bare-lf-beyond-head-limit): a bare LF
// beyond the limit gave 400 bare_lf when the bytes came in one read, 431 head_too_large in pieces.
TEST_CASE("beyond the head limit a bare LF is head_too_large, however the bytes arrive") {
  RequestLimits limits;
  limits.max_head_bytes = 1024;
  std::string text = "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(1100, 'v') + "\nY: z\r\n\r\n";
  CHECK(error_of(text, limits) == ParseError::kHeadTooLarge);
  RequestParser parser(limits);
  RequestHead head;
  CHECK(parser.parse(std::string_view(text).substr(0, 1050), head) == ParseStatus::kError);
  CHECK(parser.error() == ParseError::kHeadTooLarge);
  // Within the limit a bare LF is still a bare LF, whatever follows.
  CHECK(error_of("GET / HTTP/1.1\nHost: a" + std::string(2000, 'v'), limits) ==
        ParseError::kBareLf);
}

TEST_CASE("limits: header count and target length") {
  RequestLimits limits;
  limits.max_headers = 3;
  CHECK(parse("GET / HTTP/1.1\r\nHost: a\r\nB: 1\r\nC: 1\r\n\r\n", limits).status ==
        ParseStatus::kComplete);
  CHECK(error_of("GET / HTTP/1.1\r\nHost: a\r\nB: 1\r\nC: 1\r\nD: 1\r\n\r\n", limits) ==
        ParseError::kTooManyHeaders);
  limits = {};
  limits.max_target_bytes = 10;
  CHECK(parse("GET /123456789 HTTP/1.1\r\nHost: a\r\n\r\n", limits).status ==
        ParseStatus::kComplete);
  CHECK(error_of("GET /1234567890 HTTP/1.1\r\nHost: a\r\n\r\n", limits) == ParseError::kUriTooLong);
  CHECK(request_error_status(ParseError::kUriTooLong) == 414);
  CHECK(request_error_status(ParseError::kTooManyHeaders) == 431);
}

TEST_CASE("every parse error has a distinct snake_case reason") {
  CHECK(std::string(error_reason(ParseError::kBareLf)) == "bare_lf");
  CHECK(std::string(error_reason(ParseError::kContentLengthWithTransferEncoding)) ==
        "content_length_with_transfer_encoding");
  CHECK(std::string(error_reason(ParseError::kDuplicateContentLength)) ==
        "duplicate_content_length");
  CHECK(request_error_status(ParseError::kObsFold) == 400);
}

TEST_CASE("hop-by-hop names and Connection-listed names") {
  CHECK(is_hop_by_hop("Connection"));
  CHECK(is_hop_by_hop("keep-alive"));
  CHECK(is_hop_by_hop("Transfer-Encoding"));
  CHECK(is_hop_by_hop("TE"));
  CHECK(is_hop_by_hop("Upgrade"));
  CHECK(is_hop_by_hop("Proxy-Authorization"));
  CHECK_FALSE(is_hop_by_hop("Host"));
  CHECK_FALSE(is_hop_by_hop("Trailer"));
  std::vector<Header> headers = {{"Connection", "close, X-Foo"}, {"X-Foo", "1"}};
  CHECK(listed_in_connection(headers, "x-foo"));
  CHECK_FALSE(listed_in_connection(headers, "x-bar"));
}
