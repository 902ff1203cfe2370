// Unit tests for responses espd writes itself.
#include "proxy/client/local_response.h"

#include <catch2/catch.hpp>

using namespace espd;

TEST_CASE("a local response has a length, no caching and the close flag when asked") {
  BufferPool pool;
  IoBuffer out;
  client::write_local_response(pool, out, 503, "busy\n", true, false, "Retry-After: 5\r\n");
  CHECK(out.readable() ==
        "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Cache-Control: no-store\r\nContent-Length: 5\r\nConnection: close\r\nRetry-After: 5\r\n"
        "\r\nbusy\n");
}

TEST_CASE("a local response to HEAD has no body but the body's length") {
  BufferPool pool;
  IoBuffer out;
  client::write_local_response(pool, out, 403, "Forbidden\n", false, true);
  std::string_view text = out.readable();
  CHECK(text.find("Content-Length: 10\r\n") != std::string_view::npos);
  CHECK(text.substr(text.size() - 4) == "\r\n\r\n");
  CHECK(client::reason_phrase(431) == "Request Header Fields Too Large");
}
