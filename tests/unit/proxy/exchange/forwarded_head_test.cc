// Unit tests for the request head sent to real servers and the response head sent to clients.
#include <catch2/catch.hpp>

#include "proxy/exchange/forwarded_request.h"
#include "proxy/exchange/forwarded_response.h"
#include "proxy/http1/request_parser.h"
#include "proxy/http1/response_parser.h"

using namespace espd;
using namespace espd::exchange;

namespace {

http1::RequestHead request(std::vector<http1::Header> headers) {
  http1::RequestHead head;
  head.method = "POST";
  head.path = "/abs/handler";
  head.query = "x=1";
  head.host = "ws-ext.mycloud.ag";
  head.headers = std::move(headers);
  return head;
}

}  // namespace

TEST_CASE("hop-by-hop fields are dropped, Host kept, X-Forwarded-* replaced") {
  BufferPool pool;
  IoBuffer out;
  auto head = request({{"Host", "ws-ext.mycloud.ag"},
                       {"Connection", "keep-alive, X-Secret"},
                       {"Keep-Alive", "timeout=5"},
                       {"X-Secret", "hop"},
                       {"TE", "trailers"},
                       {"Upgrade", "websocket"},
                       {"Proxy-Authorization", "Basic x"},
                       {"X-Forwarded-For", "6.6.6.6"},
                       {"X-Forwarded-Proto", "http"},
                       {"Content-Length", "4"},
                       {"Cookie", "MS-WSMAN=abc"}});
  head.body.kind = http1::BodyKind::kContentLength;
  head.body.content_length = 4;
  ForwardingOptions options;
  options.client_ip = "192.0.2.7";
  write_forwarded_request(pool, out, head, head.path, head.query, options);
  CHECK(out.readable() ==
        "POST /abs/handler?x=1 HTTP/1.1\r\n"
        "Host: ws-ext.mycloud.ag\r\n"
        "Cookie: MS-WSMAN=abc\r\n"
        "Content-Length: 4\r\n"
        "X-Forwarded-For: 192.0.2.7\r\n"
        "X-Forwarded-Proto: https\r\n"
        "\r\n");
}

TEST_CASE("Content-Length is forwarded in canonical form, whatever the client wrote") {
  BufferPool pool;
  IoBuffer out;
  auto head = request({{"Host", "meet.mycloud.ag"}, {"Content-Length", "0005"}});
  head.body.kind = http1::BodyKind::kContentLength;
  head.body.content_length = 5;
  ForwardingOptions options;
  options.x_forwarded_for = false;
  options.x_forwarded_proto = false;
  write_forwarded_request(pool, out, head, "/", "", options);
  CHECK(out.readable() == "POST / HTTP/1.1\r\nHost: meet.mycloud.ag\r\nContent-Length: 5\r\n\r\n");
}

TEST_CASE(
    "lookalikes of X-Forwarded-* and of the framing fields (HTTP/2 can carry them) are dropped") {
  BufferPool pool;
  IoBuffer out;
  auto head = request({{"Host", "meet.mycloud.ag"},
                       {"X_Forwarded_For", "6.6.6.6"},
                       {"x_forwarded-PROTO", "http"},
                       {"content_length", "7"},
                       {"transfer_encoding", "chunked"},
                       {"X_Custom_Name", "kept"}});
  ForwardingOptions options;
  options.client_ip = "192.0.2.7";
  write_forwarded_request(pool, out, head, "/", "", options);
  CHECK(out.readable() ==
        "POST / HTTP/1.1\r\nHost: meet.mycloud.ag\r\nX_Custom_Name: kept\r\n"
        "X-Forwarded-For: 192.0.2.7\r\nX-Forwarded-Proto: https\r\n\r\n");
}

TEST_CASE("a chunked request is announced as chunked; forwarding headers can be off") {
  BufferPool pool;
  IoBuffer out;
  auto head = request({{"Host", "meet.mycloud.ag"}, {"Transfer-Encoding", "chunked"}});
  head.body.kind = http1::BodyKind::kChunked;
  ForwardingOptions options;
  options.x_forwarded_for = false;
  options.x_forwarded_proto = false;
  write_forwarded_request(pool, out, head, "/meet/", "", options);
  CHECK(out.readable() ==
        "POST /meet/ HTTP/1.1\r\nHost: meet.mycloud.ag\r\nTransfer-Encoding: chunked\r\n\r\n");
}

TEST_CASE("client framing follows the response and the client's version") {
  http1::ResponseHead head;
  head.status = 200;
  head.body.kind = http1::BodyKind::kChunked;
  CHECK(choose_client_framing(head, false, 1) == ClientFraming::kChunked);
  CHECK(choose_client_framing(head, false, 0) == ClientFraming::kUntilClose);
  CHECK(choose_client_framing(head, true, 1) == ClientFraming::kNone);
  head.body.kind = http1::BodyKind::kUntilClose;
  CHECK(choose_client_framing(head, false, 1) == ClientFraming::kChunked);
  head.body.kind = http1::BodyKind::kContentLength;
  CHECK(choose_client_framing(head, false, 1) == ClientFraming::kContentLength);
  head.status = 304;
  CHECK(choose_client_framing(head, false, 1) == ClientFraming::kNone);
}

TEST_CASE("the response head keeps Set-Cookie lines apart and states our framing") {
  BufferPool pool;
  IoBuffer out;
  http1::ResponseHead head;
  head.status = 200;
  head.reason = "OK";
  head.headers = {{"Set-Cookie", "a=1"},
                  {"Set-Cookie", "b=2"},
                  {"Connection", "keep-alive"},
                  {"Keep-Alive", "timeout=5"},
                  {"Transfer-Encoding", "chunked"},
                  {"Content-Type", "text/html"}};
  write_forwarded_response(pool, out, head, ClientFraming::kChunked, true, "X-Extra: 1\r\n");
  CHECK(out.readable() ==
        "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Type: text/html\r\n"
        "Transfer-Encoding: chunked\r\nConnection: close\r\nX-Extra: 1\r\n\r\n");
}

TEST_CASE("a close-delimited response re-framed as chunked loses no Content-Length") {
  BufferPool pool;
  IoBuffer out;
  http1::ResponseHead head;
  head.status = 404;
  head.reason = "Not Found";
  head.headers = {{"Content-Length", "9"}};
  write_forwarded_response(pool, out, head, ClientFraming::kContentLength, false, {});
  CHECK(out.readable() == "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\n");
}

// Heads parsed from received bytes: unchanged lines are copied from the received section in runs;
// the output must be what writing each kept field as "name: value\r\n" gives.
TEST_CASE(
    "a parsed request head: received lines copied, odd spacing normalised, dropped fields cut") {
  std::string received =
      "GET /a?b HTTP/1.1\r\n"
      "Host: meet.mycloud.ag\r\n"
      "Accept: */*\r\n"
      "Connection: keep-alive, X-Hop\r\n"
      "X-Hop: 1\r\n"
      "User-Agent:  spaced \r\n"
      "Cookie:MS-WSMAN=abc\r\n"
      "X-Empty: \r\n"
      "X-Forwarded-For: 6.6.6.6\r\n"
      "Accept-Language: de\r\n"
      "Content-Length: 0\r\n"
      "\r\n";
  http1::RequestParser parser;
  http1::RequestHead head;
  REQUIRE(parser.parse(received, head) == http1::ParseStatus::kComplete);
  CHECK(head.field_lines == std::string_view(received).substr(19, received.size() - 19 - 2));
  BufferPool pool;
  IoBuffer out;
  ForwardingOptions options;
  options.client_ip = "192.0.2.7";
  write_forwarded_request(pool, out, head, head.path, head.query, options);
  CHECK(out.readable() ==
        "GET /a?b HTTP/1.1\r\n"
        "Host: meet.mycloud.ag\r\n"
        "Accept: */*\r\n"
        "User-Agent: spaced\r\n"
        "Cookie: MS-WSMAN=abc\r\n"
        "X-Empty: \r\n"
        "Accept-Language: de\r\n"
        "Content-Length: 0\r\n"
        "X-Forwarded-For: 192.0.2.7\r\n"
        "X-Forwarded-Proto: https\r\n"
        "\r\n");
}

TEST_CASE("a parsed response head: runs of received lines around the dropped ones") {
  std::string received =
      "HTTP/1.1 200 OK\r\n"
      "Server: nginx\r\n"
      "Date: Tue, 01 Dec 2026 23:00:00 GMT\r\n"
      "Content-Type: text/html\r\n"
      "Content-Length: 1024\r\n"
      "Connection: keep-alive\r\n"
      "Keep-Alive: timeout=60\r\n"
      "ETag: \"x\"\r\n"
      "Accept-Ranges: bytes\r\n"
      "\r\n";
  http1::ResponseParser parser;
  http1::ResponseHead head;
  REQUIRE(parser.parse(received, false, head) == http1::ParseStatus::kComplete);
  BufferPool pool;
  IoBuffer out;
  write_forwarded_response(pool, out, head, ClientFraming::kContentLength, false,
                           "Set-Cookie: a=1\r\n");
  CHECK(out.readable() ==
        "HTTP/1.1 200 OK\r\n"
        "Server: nginx\r\n"
        "Date: Tue, 01 Dec 2026 23:00:00 GMT\r\n"
        "Content-Type: text/html\r\n"
        "Content-Length: 1024\r\n"
        "ETag: \"x\"\r\n"
        "Accept-Ranges: bytes\r\n"
        "Set-Cookie: a=1\r\n"
        "\r\n");
  IoBuffer chunked;
  write_forwarded_response(pool, chunked, head, ClientFraming::kChunked, true, {});
  CHECK(chunked.readable() ==
        "HTTP/1.1 200 OK\r\n"
        "Server: nginx\r\n"
        "Date: Tue, 01 Dec 2026 23:00:00 GMT\r\n"
        "Content-Type: text/html\r\n"
        "ETag: \"x\"\r\n"
        "Accept-Ranges: bytes\r\n"
        "Transfer-Encoding: chunked\r\n"
        "Connection: close\r\n"
        "\r\n");
}

TEST_CASE("a head larger than the first reservation still comes out whole") {
  std::string big(40000, 'v');
  http1::ResponseHead head;
  head.status = 200;
  head.reason = "OK";
  head.headers = {{"X-Big", big}, {"X-Small", "s"}};
  BufferPool pool;
  IoBuffer out;
  out.append(pool, "earlier bytes|");
  write_forwarded_response(pool, out, head, ClientFraming::kNone, false, std::string(20000, 'e'));
  CHECK(out.readable() == "earlier bytes|HTTP/1.1 200 OK\r\nX-Big: " + big + "\r\nX-Small: s\r\n" +
                              std::string(20000, 'e') + "\r\n");
}
