// Unit tests for HTTP/2 response header lists built from HTTP/1.1 responses and local answers.
#include "proxy/http2/response_header_list.h"

#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

using espd::http1::Header;
using espd::http1::ResponseHead;
using espd::http2::ResponseHeaderList;

namespace {

std::vector<std::pair<std::string, std::string>> pairs(const ResponseHeaderList& list) {
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i < list.size(); ++i) {
    const nghttp2_nv& nv = list.data()[i];
    out.emplace_back(std::string(reinterpret_cast<const char*>(nv.name), nv.namelen),
                     std::string(reinterpret_cast<const char*>(nv.value), nv.valuelen));
  }
  return out;
}

using Pairs = std::vector<std::pair<std::string, std::string>>;

}  // namespace

TEST_CASE("a forwarded response: lower-case names, hop-by-hop gone, cookies apart") {
  ResponseHead head;
  head.status = 200;
  head.headers = {Header{"Content-Type", "text/html"},    Header{"Connection", "close, X-Private"},
                  Header{"X-Private", "secret"},          Header{"Keep-Alive", "timeout=5"},
                  Header{"Transfer-Encoding", "chunked"}, Header{"Set-Cookie", "a=1; Path=/"},
                  Header{"Set-Cookie", "b=2; HttpOnly"},  Header{"Upgrade", "h2c"}};
  ResponseHeaderList list;
  list.build_forwarded(head, "Set-Cookie: MS-WSMAN=v; Path=/\r\n");
  CHECK(pairs(list) == Pairs{{":status", "200"},
                             {"content-type", "text/html"},
                             {"set-cookie", "a=1; Path=/"},
                             {"set-cookie", "b=2; HttpOnly"},
                             {"set-cookie", "MS-WSMAN=v; Path=/"}});
}

TEST_CASE("a local answer states its length and type") {
  ResponseHeaderList list;
  list.build_local(503, 42, "Retry-After: 5\r\n");
  CHECK(pairs(list) == Pairs{{":status", "503"},
                             {"content-type", "text/plain; charset=utf-8"},
                             {"cache-control", "no-store"},
                             {"content-length", "42"},
                             {"retry-after", "5"}});
}

TEST_CASE("trailers from field lines, hop-by-hop ones dropped") {
  ResponseHeaderList list;
  list.build_trailers(
      "X-Checksum: 123\r\nTransfer-Encoding: chunked\r\nServer-Timing:  db;dur=5 \r\n");
  CHECK(pairs(list) == Pairs{{"x-checksum", "123"}, {"server-timing", "db;dur=5"}});
  list.build_trailers("");
  CHECK(list.empty());
}

TEST_CASE("the list is rebuilt from scratch each time (one per thread, reused)") {
  ResponseHeaderList list;
  ResponseHead head;
  head.status = 404;
  std::string long_value(5000, 'x');
  head.headers = {Header{"A", long_value}};
  list.build_forwarded(head, {});
  head.status = 204;
  head.headers = {};
  list.build_forwarded(head, {});
  CHECK(pairs(list) == Pairs{{":status", "204"}});
}
