// Fuzz target: the HTTP/1.1 request parser on a client's byte stream (pipelined requests with
// Content-Length and chunked bodies). Oracles: the same transcript whether the bytes arrive whole,
// in random pieces or byte by byte; every accepted head satisfies the grammar the parser promises
// (one framing, one Host, tokens, no control characters, views inside the input); and the head
// espd would forward to the real server parses back to the same method, path, host and framing,
// so the real server cannot see a different request than the one espd checked.
#include <string>

#include "fuzz/fuzz_support.h"
#include "fuzz/http1_stream.h"
#include "proxy/base/buffer_pool.h"
#include "proxy/base/io_buffer.h"
#include "proxy/esp/host_matcher.h"
#include "proxy/esp/path_normalizer.h"
#include "proxy/exchange/forwarded_request.h"
#include "proxy/http1/field_syntax.h"

namespace {

using namespace espd;
using espd::fuzz::require;

void check_grammar(const http1::RequestHead& head, std::string_view buffer) {
  require(http1::is_token(head.method) && head.method != "CONNECT", "the method is a token");
  for (std::string_view view :
       {head.method, head.target, head.query, head.absolute_authority, head.host}) {
    require(fuzz::inside(view, buffer), "request views point into the input");
  }
  // An absolute-form target without a path has the path "/" (a literal, not in the input).
  require(fuzz::inside(head.path, buffer) || head.path == "/", "the path points into the input");
  require(!head.target.empty() && head.target.size() <= fuzz::kRequestLimits.max_target_bytes,
          "the target is within its limit");
  for (unsigned char c : head.target)
    require(c > 0x20 && c < 0x7f && c != '#', "the target has no space, control or '#'");
  require(!head.path.empty() && (head.path.front() == '/' || head.path == "*"),
          "the path is origin-form or '*'");
  require(head.path != "*" || head.method == "OPTIONS", "'*' only for OPTIONS");
  require(head.absolute_authority.empty() || http1::is_valid_host(head.absolute_authority),
          "an absolute-form authority is a valid host");
  require(head.version_minor <= 1, "HTTP/1.0 or HTTP/1.1");
  size_t hosts = fuzz::count_fields(head.headers, "host");
  require(hosts <= 1, "at most one Host");
  if (head.version_minor == 1) require(hosts == 1, "HTTP/1.1 has a Host");
  require(head.host.empty() == (hosts == 0), "host is set iff a Host field came");
  if (hosts == 1) require(http1::is_valid_host(head.host), "the Host is a valid host");

  size_t lengths = fuzz::count_fields(head.headers, "content-length");
  size_t codings = fuzz::count_fields(head.headers, "transfer-encoding");
  require(lengths <= 1 && codings <= 1 && lengths + codings <= 1,
          "one framing field at most (no CL.TE, TE.TE, CL.CL)");
  require((head.body.kind == http1::BodyKind::kChunked) == (codings == 1), "chunked iff TE");
  require((head.body.kind == http1::BodyKind::kContentLength) == (lengths == 1),
          "Content-Length framing iff one Content-Length field");
  require(head.body.kind != http1::BodyKind::kUntilClose, "a request is never close-delimited");
  require(head.version_minor == 1 || codings == 0, "no chunked HTTP/1.0 request");

  fuzz::require_field_grammar(head.headers, buffer, fuzz::kRequestLimits.max_headers);
  for (const http1::Header& field : head.headers)
    require(http1::trim_ows(field.value) == field.value, "field values are trimmed");
  if (head.version_minor == 0 && !head.connection_keep_alive)
    require(head.connection_close, "HTTP/1.0 closes unless keep-alive");
}

// What request_dispatcher.cc forwards, parsed again as the real server would.
void check_forwarded(const http1::RequestHead& head) {
  if (head.host.empty()) return;  // refused: missing_host
  esp::NormalizedHost host = esp::normalize_host(head.host);
  if (!host.valid) return;  // refused: bad_host
  if (!head.absolute_authority.empty()) {
    esp::NormalizedHost target = esp::normalize_host(head.absolute_authority);
    if (!target.valid || target.name != host.name || target.port != host.port) return;
  }
  std::string path;
  if (head.path == "*") {
    path = "*";
  } else if (esp::normalize_path(head.path, path) != esp::PathError::kNone) {
    return;  // refused: the path's encoding
  }
  static BufferPool pool;
  IoBuffer out;
  exchange::ForwardingOptions options;
  options.client_ip = "192.0.2.7";
  exchange::write_forwarded_request(pool, out, head, path, head.query, options);
  std::string forwarded(out.readable());

  http1::RequestParser parser(http1::RequestLimits{1 << 20, 1000, 1 << 20});
  http1::RequestHead again;
  http1::ParseStatus status = parser.parse(forwarded, again);
  std::string detail = "forwarded:\n" + fuzz::escaped(forwarded);
  require(status == http1::ParseStatus::kComplete, "the forwarded head parses", detail);
  require(parser.consumed() == forwarded.size(), "the forwarded head is one whole head", detail);
  require(again.method == head.method, "the real server sees the same method", detail);
  require(again.path == path, "the real server sees the checked path", detail);
  require(again.query == head.query, "the real server sees the same query", detail);
  require(again.host == head.host, "the real server sees the same Host", detail);
  require(
      again.body.kind == head.body.kind && again.body.content_length == head.body.content_length,
      "the real server sees the same body framing", detail);
  require(!again.connection_close, "the forwarded request keeps the connection", detail);
}

void check_head(const http1::RequestHead& head, std::string_view buffer) {
  check_grammar(head, buffer);
  check_forwarded(head);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input = fuzz::as_view(data, size);
  std::string whole = fuzz::request_stream(input, {}, check_head);
  fuzz::SplitGenerator splits(input);
  fuzz::require_same(whole, fuzz::request_stream(input, splits.cuts(size, 8)),
                     "requests fed in random pieces give the same result as fed whole");
  if (size <= 4096) {
    fuzz::require_same(whole, fuzz::request_stream(input, fuzz::every_byte(size)),
                       "requests fed byte by byte give the same result as fed whole");
  }
  return 0;
}
