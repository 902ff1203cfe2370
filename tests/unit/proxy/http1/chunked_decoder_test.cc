// Unit tests for the strict chunked decoder.
#include "proxy/http1/chunked_decoder.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace espd::http1;

namespace {

struct Decoded {
  std::string data;
  std::vector<std::pair<std::string, std::string>> trailers;
  ChunkedDecoder::Status last;
  ParseError error = ParseError::kNone;
  size_t consumed = 0;  // total bytes consumed
};

// Feeds `input` in pieces of `step` bytes, keeping unconsumed bytes like a real caller.
Decoded decode(const std::string& input, size_t step = 0) {
  ChunkedDecoder decoder;
  Decoded out;
  std::string buffer;
  size_t fed = 0;
  if (step == 0) step = input.size();
  for (;;) {
    size_t consumed = 0;
    std::string_view data;
    Header trailer;
    auto status = decoder.decode(buffer, consumed, data, trailer);
    out.consumed += consumed;
    if (status == ChunkedDecoder::Status::kData) out.data.append(data);
    if (status == ChunkedDecoder::Status::kTrailer) {
      out.trailers.emplace_back(std::string(trailer.name), std::string(trailer.value));
    }
    buffer.erase(0, consumed);
    if (status == ChunkedDecoder::Status::kDone || status == ChunkedDecoder::Status::kError) {
      out.last = status;
      out.error = decoder.error();
      return out;
    }
    if (status == ChunkedDecoder::Status::kNeedMore) {
      if (fed >= input.size()) {
        out.last = status;
        return out;
      }
      buffer += input.substr(fed, step);
      fed += std::min(step, input.size() - fed);
    }
  }
}

ParseError error_of(const std::string& input) {
  Decoded d = decode(input);
  INFO(input);
  REQUIRE(d.last == ChunkedDecoder::Status::kError);
  return d.error;
}

}  // namespace

TEST_CASE("chunks, the last chunk and the end are decoded") {
  std::string input = "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nNEXT";
  Decoded d = decode(input);
  CHECK(d.last == ChunkedDecoder::Status::kDone);
  CHECK(d.data == "hello world");
  CHECK(d.consumed == input.size() - 4);
}

TEST_CASE("splitting the input at every byte gives the same result") {
  std::string input =
      "1a;name=value;q=\"quoted \\\" "
      "x\"\r\nabcdefghijklmnopqrstuvwxyz\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n";
  for (size_t step = 1; step <= 7; ++step) {
    Decoded d = decode(input, step);
    INFO(step);
    REQUIRE(d.last == ChunkedDecoder::Status::kDone);
    CHECK(d.data == "abcdefghijklmnopqrstuvwxyz0123456789");
    REQUIRE(d.trailers.size() == 1);
    CHECK(d.trailers[0].first == "X-Trailer");
    CHECK(d.trailers[0].second == "t");
  }
}

TEST_CASE("upper and lower case hex sizes, extensions with whitespace") {
  CHECK(decode("B\r\nhello world\r\n0\r\n\r\n").data == "hello world");
  CHECK(decode("b ; ext \r\nhello world\r\n0\r\n\r\n").data == "hello world");
  CHECK(decode("000b\r\nhello world\r\n0\r\n\r\n").data == "hello world");
}

TEST_CASE("bad chunk sizes") {
  CHECK(error_of("\r\n") == ParseError::kBadChunkSize);
  CHECK(error_of("x\r\n") == ParseError::kBadChunkSize);
  CHECK(error_of("-1\r\n") == ParseError::kBadChunkSize);
  CHECK(error_of("0x5\r\nhello\r\n") == ParseError::kBadChunkSize);
  CHECK(error_of("5 5\r\n") == ParseError::kBadChunkSize);
  CHECK(error_of("5;\r\n") == ParseError::kBadChunkSize);
  CHECK(error_of("5;=x\r\n") == ParseError::kBadChunkSize);
  CHECK(error_of("5;a=\"open\r\n") == ParseError::kBadChunkSize);
}

TEST_CASE("chunk size overflow is refused") {
  CHECK(error_of("10000000000000000\r\n") == ParseError::kBadChunkSize);  // 17 digits
  CHECK(error_of("8000000000000000\r\n") == ParseError::kBadChunkSize);   // 2^63
  CHECK(error_of("FFFFFFFFFFFFFFFF\r\n") == ParseError::kBadChunkSize);
  // 2^63 - 1 is accepted as a size (the body would simply be long).
  ChunkedDecoder decoder;
  size_t consumed;
  std::string_view data;
  Header trailer;
  CHECK(decoder.decode("7FFFFFFFFFFFFFFF\r\nab", consumed, data, trailer) ==
        ChunkedDecoder::Status::kData);
  CHECK(data == "ab");
}

TEST_CASE("bare LF and missing CRLF after data are refused") {
  CHECK(error_of("5\nhello\r\n0\r\n\r\n") == ParseError::kBareLf);
  CHECK(error_of("5\r\nhello\n0\r\n\r\n") == ParseError::kBareLf);
  CHECK(error_of("5\r\nhelloX\r\n0\r\n\r\n") == ParseError::kBadChunkFraming);
  CHECK(error_of("5\r\nhello\rX") == ParseError::kBadChunkFraming);
  CHECK(error_of("0\r\n\n") == ParseError::kBareLf);
}

TEST_CASE("an over-long chunk line is refused without waiting for its end") {
  CHECK(error_of("5;" + std::string(5000, 'a')) == ParseError::kChunkLineTooLong);
}

// Found by fuzz/chunked_decoder_fuzzer.cc: the verdict on a chunk-size line used to depend on
// where the bytes were split (corpus: regression-cr-at-line-limit,
// regression-bare-lf-beyond-limit).
TEST_CASE("a chunk line at the limit is accepted even when its LF arrives after its CR") {
  std::string line = "1;" + std::string(4094, 'a');  // 4096 bytes: the default limit
  std::string input = line + "\r\nx\r\n0\r\n\r\n";
  for (size_t step : {input.size(), line.size() + 1, size_t{1}}) {
    INFO("pieces of " << step);
    Decoded d = decode(input, step);
    CHECK(d.last == ChunkedDecoder::Status::kDone);
    CHECK(d.data == "x");
  }
}

TEST_CASE("an LF beyond the line limit means too long however the bytes arrive, even a bare LF") {
  std::string input = "1;" + std::string(5000, 'a') + "\nx\r\n0\r\n\r\n";
  for (size_t step : {input.size(), size_t{4098}, size_t{100}}) {
    INFO("pieces of " << step);
    Decoded d = decode(input, step);
    REQUIRE(d.last == ChunkedDecoder::Status::kError);
    CHECK(d.error == ParseError::kChunkLineTooLong);
  }
}

TEST_CASE("trailers: field syntax, count and size limits") {
  CHECK(error_of("0\r\nBad Name: x\r\n\r\n") == ParseError::kBadHeaderName);
  CHECK(error_of("0\r\nX: a\r\n folded\r\n\r\n") == ParseError::kObsFold);
  std::string many = "0\r\n";
  for (int i = 0; i < 40; ++i)
    many += "X-" + std::to_string(i) + ": v\r\n";
  CHECK(error_of(many + "\r\n") == ParseError::kTrailersTooLarge);
  CHECK(error_of("0\r\nX: " + std::string(20000, 'v') + "\r\n\r\n") ==
        ParseError::kTrailersTooLarge);
}

TEST_CASE("chunk headers are written in lower-case hex") {
  char out[20];
  CHECK(std::string(out, write_chunk_header(out, 0)) == "0\r\n");
  CHECK(std::string(out, write_chunk_header(out, 255)) == "ff\r\n");
  CHECK(std::string(out, write_chunk_header(out, 16320)) == "3fc0\r\n");
}
