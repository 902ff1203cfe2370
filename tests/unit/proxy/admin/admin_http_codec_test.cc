// Unit tests for the admin API's HTTP/1.1 framing: reading requests, writing responses.
#include "proxy/admin/admin_http_codec.h"

#include <catch2/catch.hpp>

using namespace espd::admin;

TEST_CASE("a request is read with its body; a pipelined one stays for the next read") {
  std::string first =
      "PUT /api/v1/config HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer t\r\n"
      "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
  std::string input = first + "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n";
  AdminRead read = read_admin_request(input, 1024, "192.0.2.1");
  REQUIRE(read.status == AdminRead::Status::kRequest);
  CHECK(read.consumed == first.size());
  CHECK(read.request.method == "PUT");
  CHECK(read.request.path == "/api/v1/config");
  CHECK(read.request.body == "{}");
  CHECK(*read.request.header("authorization") == "Bearer t");
  CHECK(read.request.client == "192.0.2.1");
  CHECK_FALSE(read.close);
  CHECK(read_admin_request(first.substr(0, first.size() - 1), 1024, "").status ==
        AdminRead::Status::kIncomplete);
}

TEST_CASE("malformed, chunked and oversized requests are refused") {
  AdminRead bad = read_admin_request("GET / HTTP/1.1\r\n\r\n", 1024, "");
  REQUIRE(bad.status == AdminRead::Status::kRefused);
  CHECK(bad.refusal.status == 400);
  CHECK(bad.refusal.body.find("missing_host") != std::string::npos);
  AdminRead chunked = read_admin_request(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 1024, "");
  REQUIRE(chunked.status == AdminRead::Status::kRefused);
  CHECK(chunked.refusal.status == 411);
  AdminRead large =
      read_admin_request("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1025\r\n\r\n", 1024, "");
  REQUIRE(large.status == AdminRead::Status::kRefused);
  CHECK(large.refusal.status == 413);
}

// Found by fuzz/admin_api_fuzzer.cc (corpus: regression-204-content-length): a DELETE answered
// "204 Unknown" with "Content-Length: 0", which RFC 9110 8.6 forbids.
TEST_CASE("a 204 has its reason and neither Content-Length nor body") {
  AdminResponse response;
  response.status = 204;
  response.body = "ignored";
  response.headers.emplace_back("ETag", "\"1\"");
  CHECK(serialize_admin_response(response, false) ==
        "HTTP/1.1 204 No Content\r\nCache-Control: no-store\r\nETag: \"1\"\r\n\r\n");
  response.status = 201;
  response.body = "{}";
  CHECK(serialize_admin_response(response, true) ==
        "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
        "Cache-Control: no-store\r\nETag: \"1\"\r\nConnection: close\r\n\r\n{}");
}
