// Fuzz target: the HTTP/1.x response parser on a real server's byte stream (interim responses,
// Content-Length, chunked and close-delimited bodies), for a GET and for a HEAD. Oracles: the same
// transcript whether the bytes arrive whole, in random pieces or byte by byte; accepted heads
// satisfy the grammar; and the head espd writes back to the client (forwarded_response.cc) parses
// to the body framing espd then uses, so a server's fields cannot desynchronise the client.
#include <string>

#include "fuzz/fuzz_support.h"
#include "fuzz/http1_stream.h"
#include "proxy/base/buffer_pool.h"
#include "proxy/base/io_buffer.h"
#include "proxy/exchange/forwarded_response.h"
#include "proxy/http1/field_syntax.h"

namespace {

using namespace espd;
using espd::fuzz::require;

void check_grammar(const http1::ResponseHead& head, std::string_view buffer, bool was_head) {
  require(head.status >= 100 && head.status <= 599, "the status is three digits, 1xx to 5xx");
  require(head.version_minor <= 1, "HTTP/1.0 or HTTP/1.1");
  require(fuzz::inside(head.reason, buffer), "the reason points into the input");
  for (unsigned char c : head.reason)
    require(http1::is_field_value_char(c), "the reason holds no CR, LF or controls");
  size_t lengths = fuzz::count_fields(head.headers, "content-length");
  size_t codings = fuzz::count_fields(head.headers, "transfer-encoding");
  require(lengths + codings <= 1, "one framing field at most");
  bool bodiless = was_head || head.status < 200 || head.status == 204 || head.status == 304;
  http1::BodyKind expected = bodiless       ? http1::BodyKind::kNone
                             : codings == 1 ? http1::BodyKind::kChunked
                             : lengths == 1 ? http1::BodyKind::kContentLength
                                            : http1::BodyKind::kUntilClose;
  require(head.body.kind == expected, "the body framing follows RFC 9112 6.3");
  fuzz::require_field_grammar(head.headers, buffer, fuzz::kResponseLimits.max_headers);
}

// The head forwarded to an HTTP/1.<client_minor> client, parsed again as the client would.
void check_forwarded(const http1::ResponseHead& head, bool was_head, uint8_t client_minor) {
  if (head.status < 200) return;  // interim responses are relayed by the session, not here
  exchange::ClientFraming framing = exchange::choose_client_framing(head, was_head, client_minor);
  bool close = framing == exchange::ClientFraming::kUntilClose;
  static BufferPool pool;
  IoBuffer out;
  exchange::write_forwarded_response(pool, out, head, framing, close, {});
  std::string forwarded(out.readable());

  http1::ResponseParser parser(http1::ResponseLimits{1 << 20, 1000});
  http1::ResponseHead again;
  http1::ParseStatus status = parser.parse(forwarded, was_head, again);
  std::string detail = "forwarded to an HTTP/1." + std::to_string(client_minor) + " client:\n" +
                       fuzz::escaped(forwarded);
  require(status == http1::ParseStatus::kComplete, "the forwarded head parses", detail);
  require(parser.consumed() == forwarded.size(), "the forwarded head is one whole head", detail);
  require(again.status == head.status, "the client sees the same status", detail);
  http1::BodyKind expected = http1::BodyKind::kNone;
  switch (framing) {
    case exchange::ClientFraming::kNone:
      expected = http1::BodyKind::kNone;
      break;
    case exchange::ClientFraming::kContentLength:
      expected = http1::BodyKind::kContentLength;
      require(again.body.content_length == head.body.content_length,
              "the client sees the real server's Content-Length", detail);
      break;
    case exchange::ClientFraming::kChunked:
      expected = http1::BodyKind::kChunked;
      break;
    case exchange::ClientFraming::kUntilClose:
      expected = http1::BodyKind::kUntilClose;
      break;
  }
  require(again.body.kind == expected, "the client sees the framing espd sends the body with",
          detail);
  require(again.connection_close == close, "Connection: close exactly when espd closes", detail);
}

fuzz::ResponseCheck checker(bool was_head) {
  return [was_head](const http1::ResponseHead& head, std::string_view buffer) {
    check_grammar(head, buffer, was_head);
    check_forwarded(head, was_head, 1);
    check_forwarded(head, was_head, 0);
  };
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input = fuzz::as_view(data, size);
  fuzz::SplitGenerator splits(input);
  for (bool was_head : {false, true}) {
    std::string whole = fuzz::response_stream(input, {}, was_head, checker(was_head));
    fuzz::require_same(whole, fuzz::response_stream(input, splits.cuts(size, 8), was_head),
                       "responses fed in random pieces give the same result as fed whole");
    if (size <= 4096) {
      fuzz::require_same(whole, fuzz::response_stream(input, fuzz::every_byte(size), was_head),
                         "responses fed byte by byte give the same result as fed whole");
    }
  }
  return 0;
}
