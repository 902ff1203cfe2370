// Fuzz target: the chunked transfer-coding decoder alone, on a body that arrives whole, in random
// pieces or byte by byte (the caller presents the unconsumed rest again with the new bytes, as the
// sessions do). Oracles: the same data, trailers and outcome however the bytes arrive; never more
// data than input; and what was decoded, framed again with write_chunk_header(), decodes to the
// same data and trailers (espd re-frames chunked bodies it forwards).
#include <string>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "fuzz/http1_stream.h"
#include "proxy/http1/chunked_decoder.h"

namespace {

using namespace espd;
using espd::fuzz::require;
using http1::ChunkedDecoder;

struct Decoded {
  std::string transcript;
  std::string data;
  std::vector<std::pair<std::string, std::string>> trailers;
};

Decoded decode(std::string_view input, const std::vector<size_t>& cuts) {
  ChunkedDecoder decoder(fuzz::kChunkedLimits);
  Decoded result;
  std::string in;
  size_t delivered = 0, total_consumed = 0;
  for (size_t i = 0; i <= cuts.size(); ++i) {
    size_t end = i < cuts.size() ? cuts[i] : input.size();
    in.append(input.substr(delivered, end - delivered));
    delivered = end;
    for (;;) {
      size_t consumed = 0;
      std::string_view data;
      http1::Header trailer;
      ChunkedDecoder::Status status = decoder.decode(in, consumed, data, trailer);
      require(consumed <= in.size(), "the decoder consumes only what it was given");
      total_consumed += consumed;
      if (status == ChunkedDecoder::Status::kData) {
        require(!data.empty() && fuzz::inside(data, std::string_view(in).substr(0, consumed)),
                "data is a non-empty view into the consumed input");
        result.data.append(data);
      } else if (status == ChunkedDecoder::Status::kTrailer) {
        result.trailers.emplace_back(trailer.name, trailer.value);
      } else if (status == ChunkedDecoder::Status::kDone) {
        result.transcript = "done after " + std::to_string(total_consumed) + " bytes\n";
        return result;
      } else if (status == ChunkedDecoder::Status::kError) {
        result.transcript = std::string("error ") + http1::error_reason(decoder.error()) + "\n";
        return result;
      }
      in.erase(0, consumed);
      if (status == ChunkedDecoder::Status::kNeedMore || in.empty()) break;
    }
  }
  result.transcript = "incomplete, " + std::to_string(in.size()) + " bytes pending\n";
  return result;
}

std::string describe(const Decoded& decoded) {
  std::string out = decoded.transcript + "data: " + fuzz::escaped(decoded.data) + "\n";
  for (const auto& [name, value] : decoded.trailers)
    out += "trailer " + fuzz::escaped(name) + ": " + fuzz::escaped(value) + "\n";
  return out;
}

// The decoded body framed again in chunks of pseudo-random sizes.
std::string reframe(const Decoded& decoded, fuzz::SplitGenerator& random) {
  std::string out;
  size_t at = 0;
  while (at < decoded.data.size()) {
    size_t n = std::min<size_t>(decoded.data.size() - at, 1 + random.next() % 64);
    char header[20];
    out.append(header, http1::write_chunk_header(header, n));
    out.append(decoded.data, at, n);
    out.append("\r\n");
    at += n;
  }
  out.append("0\r\n");
  for (const auto& [name, value] : decoded.trailers)
    out.append(name).append(":").append(value).append("\r\n");  // never longer than received
  out.append("\r\n");
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input = fuzz::as_view(data, size);
  Decoded whole = decode(input, {});
  require(whole.data.size() <= size, "never more data than input");
  std::string expected = describe(whole);
  fuzz::SplitGenerator random(input);
  fuzz::require_same(expected, describe(decode(input, random.cuts(size, 8))),
                     "a chunked body fed in random pieces decodes as fed whole");
  if (size <= 4096) {
    fuzz::require_same(expected, describe(decode(input, fuzz::every_byte(size))),
                       "a chunked body fed byte by byte decodes as fed whole");
  }
  if (whole.transcript.rfind("done", 0) == 0) {
    std::string framed = reframe(whole, random);
    Decoded again = decode(framed, {});
    // Within the same limits: chunk-size lines are short and trailer lines no longer than received.
    require(again.transcript.rfind("done", 0) == 0, "re-framed body decodes",
            fuzz::escaped(framed));
    require(again.data == whole.data && again.trailers == whole.trailers,
            "re-framing keeps data and trailers", fuzz::escaped(framed));
  }
  return 0;
}
