// Unit tests for turning an HTTP/2 request header block into the head the dispatcher sees.
#include "proxy/http2/request_header_block.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <utility>
#include <vector>

using espd::http1::BodyKind;
using espd::http1::RequestHead;
using espd::http2::BlockError;
using espd::http2::RequestBlockLimits;
using espd::http2::RequestHeaderBlock;

namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

Fields request(std::string path = "/meet/", std::string method = "GET") {
  return {{":method", method},
          {":scheme", "https"},
          {":authority", "meet.contoso.com"},
          {":path", path}};
}

Fields with(Fields fields, const Fields& more) {
  fields.insert(fields.end(), more.begin(), more.end());
  return fields;
}

// The head's views point into the block: the last block built stays alive until the next build.
std::unique_ptr<RequestHeaderBlock> last_block;

BlockError build(const Fields& fields, RequestHead& head, bool end_stream = true,
                 RequestBlockLimits limits = {}) {
  last_block = std::make_unique<RequestHeaderBlock>(limits);
  for (const auto& [name, value] : fields)
    last_block->add(name, value);
  return last_block->build(end_stream, head);
}

std::vector<std::pair<std::string, std::string>> fields_of(const RequestHead& head) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& field : head.headers)
    out.emplace_back(std::string(field.name), std::string(field.value));
  return out;
}

}  // namespace

TEST_CASE("a request becomes an HTTP/1.1 head with Host from :authority") {
  RequestHead head;
  REQUIRE(build(with(request("/meet/a?x=1&y=2"), {{"user-agent", "t"}}), head) ==
          BlockError::kNone);
  CHECK(head.method == "GET");
  CHECK(head.target == "/meet/a?x=1&y=2");
  CHECK(head.path == "/meet/a");
  CHECK(head.query == "x=1&y=2");
  CHECK(head.host == "meet.contoso.com");
  CHECK(head.version_minor == 1);
  CHECK(head.body.kind == BodyKind::kNone);
  CHECK(fields_of(head) == std::vector<std::pair<std::string, std::string>>{
                               {"host", "meet.contoso.com"}, {"user-agent", "t"}});
}

TEST_CASE("body framing: declared length, unknown length (chunked onward), none") {
  RequestHead head;
  REQUIRE(build(with(request("/up", "POST"), {{"content-length", "12"}}), head, false) ==
          BlockError::kNone);
  CHECK(head.body.kind == BodyKind::kContentLength);
  CHECK(head.body.content_length == 12);
  REQUIRE(build(request("/up", "POST"), head, false) == BlockError::kNone);
  CHECK(head.body.kind == BodyKind::kChunked);
  REQUIRE(build(with(request("/up", "POST"), {{"content-length", "0"}}), head, true) ==
          BlockError::kNone);
  CHECK(head.body.kind == BodyKind::kNone);
  CHECK(build(with(request("/up", "POST"), {{"content-length", "5"}}), head, true) ==
        BlockError::kBadContentLength);
  CHECK(build(with(request("/up", "POST"), {{"content-length", "5"}, {"content-length", "5"}}),
              head, false) == BlockError::kBadContentLength);
  CHECK(build(with(request("/up", "POST"), {{"content-length", "+5"}}), head, false) ==
        BlockError::kBadContentLength);
}

TEST_CASE("cookie crumbs are joined into one field") {
  RequestHead head;
  REQUIRE(build(with(request(), {{"cookie", "a=1"}, {"x", "y"}, {"cookie", "MS-WSMAN=abc"}}),
                head) == BlockError::kNone);
  CHECK(fields_of(head) ==
        std::vector<std::pair<std::string, std::string>>{
            {"host", "meet.contoso.com"}, {"x", "y"}, {"cookie", "a=1; MS-WSMAN=abc"}});
  REQUIRE(build(with(request(), {{"cookie", "only=1"}}), head) == BlockError::kNone);
  CHECK(fields_of(head).back() == std::pair<std::string, std::string>{"cookie", "only=1"});
}

TEST_CASE("a Host field must agree with :authority, and stands in for it when absent") {
  RequestHead head;
  CHECK(build(with(request(), {{"host", "MEET.contoso.com"}}), head) == BlockError::kNone);
  CHECK(build(with(request(), {{"host", "other.contoso.com"}}), head) ==
        BlockError::kAuthorityHostMismatch);
  Fields no_authority = {
      {":method", "GET"}, {":scheme", "https"}, {":path", "/"}, {"host", "dialin.contoso.com"}};
  REQUIRE(build(no_authority, head) == BlockError::kNone);
  CHECK(head.host == "dialin.contoso.com");
  CHECK(fields_of(head).front() ==
        std::pair<std::string, std::string>{"host", "dialin.contoso.com"});
  CHECK(build(with(request(), {{"host", "meet.contoso.com"}, {"host", "meet.contoso.com"}}),
              head) == BlockError::kBadAuthority);
  Fields bad_authority = request();
  bad_authority[2].second = "meet contoso";
  CHECK(build(bad_authority, head) == BlockError::kBadAuthority);
}

TEST_CASE("pseudo-header fields: required, known, once, before the others") {
  RequestHead head;
  CHECK(build({{":method", "GET"}, {":scheme", "https"}, {":authority", "a"}}, head) ==
        BlockError::kBadPseudoHeader);
  CHECK(build({{":method", "GET"}, {":path", "/"}, {":authority", "a"}}, head) ==
        BlockError::kBadPseudoHeader);
  CHECK(build(with(request(), {{":foo", "x"}}), head) == BlockError::kBadPseudoHeader);
  CHECK(build(with(request(), {{":status", "200"}}), head) == BlockError::kBadPseudoHeader);
  CHECK(build(with(request(), {{":path", "/again"}}), head) == BlockError::kBadPseudoHeader);
  CHECK(build({{":method", "GET"}, {"x", "1"}, {":scheme", "https"}, {":path", "/"}}, head) ==
        BlockError::kBadPseudoHeader);
  Fields ftp = request();
  ftp[1].second = "ftp";
  CHECK(build(ftp, head) == BlockError::kBadPseudoHeader);
}

TEST_CASE("a refused block still tells what the request was, for its security record") {
  RequestHead head;
  REQUIRE(build(with(request("/meet/x"), {{"X-Upper", "1"}, {":late", "y"}}), head) ==
          BlockError::kBadFieldName);
  CHECK(last_block->method() == "GET");
  CHECK(last_block->authority() == "meet.contoso.com");
  CHECK(last_block->path() == "/meet/x");
  // Fields after the first error are not kept; what never arrived reads as empty.
  REQUIRE(build({{":method", "POST"}, {"x", "1"}, {":path", "/late"}}, head) ==
          BlockError::kBadPseudoHeader);
  CHECK(last_block->method() == "POST");
  CHECK(last_block->authority().empty());
  CHECK(last_block->host().empty());
  CHECK(last_block->path().empty());
  last_block->reset();
  CHECK(last_block->method().empty());
  // The host a record names: :authority, else a host field kept before the error.
  REQUIRE(build(with(request("/a"), {{"X-Upper", "1"}}), head) == BlockError::kBadFieldName);
  CHECK(last_block->host() == "meet.contoso.com");
  REQUIRE(build({{":method", "GET"},
                 {":scheme", "https"},
                 {":path", "/b"},
                 {"host", "lync.contoso.com"},
                 {"X-Upper", "1"}},
                head) == BlockError::kBadFieldName);
  CHECK(last_block->authority().empty());
  CHECK(last_block->host() == "lync.contoso.com");
}

TEST_CASE("methods and paths") {
  RequestHead head;
  CHECK(build(request("/", "CONNECT"), head) == BlockError::kConnectNotSupported);
  CHECK(build(request("/", "G E T"), head) == BlockError::kBadMethod);
  CHECK(build(request("*", "OPTIONS"), head) == BlockError::kNone);
  CHECK(build(request("*", "GET"), head) == BlockError::kBadPath);
  CHECK(build(request("meet/", "GET"), head) == BlockError::kBadPath);
  CHECK(build(request("", "GET"), head) == BlockError::kBadPath);
  CHECK(build(request("/a b"), head) == BlockError::kBadPath);
  CHECK(build(request("/a#frag"), head) == BlockError::kBadPath);
  CHECK(build(request("/\x7f"), head) == BlockError::kBadFieldValue);  // DEL is no field byte
}

TEST_CASE("fields that would break the HTTP/1.1 request or mean nothing in HTTP/2") {
  RequestHead head;
  CHECK(build(with(request(), {{"x", "a\r\nInjected: 1"}}), head) == BlockError::kBadFieldValue);
  CHECK(build(with(request(), {{"x", std::string("a\0b", 3)}}), head) ==
        BlockError::kBadFieldValue);
  CHECK(build(with(request("/a\r\nX: 1"), {}), head) == BlockError::kBadFieldValue);
  CHECK(build(with(request(), {{"X-Upper", "1"}}), head) == BlockError::kBadFieldName);
  CHECK(build(with(request(), {{"bad name", "1"}}), head) == BlockError::kBadFieldName);
  for (const char* name :
       {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"}) {
    CHECK(build(with(request(), {{name, "x"}}), head) == BlockError::kConnectionSpecific);
  }
  CHECK(build(with(request(), {{"te", "gzip"}}), head) == BlockError::kConnectionSpecific);
  REQUIRE(build(with(request(), {{"te", "trailers"}}), head) == BlockError::kNone);
}

TEST_CASE("limits: header list size, field count, target length") {
  RequestHead head;
  RequestBlockLimits limits;
  limits.max_header_list_bytes = 1024;
  limits.max_headers = 3;
  limits.max_target_bytes = 16;
  CHECK(build(with(request(), {{"x", std::string(1000, 'a')}}), head, true, limits) ==
        BlockError::kHeaderListTooLarge);
  CHECK(build(with(request(), {{"a", "1"}, {"b", "2"}, {"c", "3"}}), head, true, limits) ==
        BlockError::kNone);
  CHECK(build(with(request(), {{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}}), head, true,
              limits) == BlockError::kTooManyHeaders);
  CHECK(build(request("/0123456789abcdef"), head, true, limits) == BlockError::kTargetTooLong);
  CHECK(espd::http2::block_error_status(BlockError::kHeaderListTooLarge) == 431);
  CHECK(espd::http2::block_error_status(BlockError::kTargetTooLong) == 414);
  CHECK(espd::http2::block_error_status(BlockError::kConnectNotSupported) == 405);
  CHECK(espd::http2::block_error_status(BlockError::kBadPath) == 400);
}

TEST_CASE("decoded bytes are counted past the first error, for bomb detection") {
  RequestHeaderBlock block(RequestBlockLimits{1024, 100, 8192});
  for (int i = 0; i < 100; ++i)
    block.add("x-big", std::string(100, 'b'));
  CHECK(block.error() == BlockError::kHeaderListTooLarge);
  CHECK(block.decoded_bytes() == 100 * (5 + 100 + 32));
}
