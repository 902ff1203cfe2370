// Incremental decoder of the chunked transfer coding (RFC 9112 7.1), strict.
#pragma once

#include <cstdint>
#include <string_view>

#include "proxy/http1/message.h"

namespace espd::http1 {

struct ChunkedLimits {
  size_t max_line_bytes = 4096;      // a chunk-size line with its extensions
  size_t max_trailer_bytes = 16384;  // the whole trailer section
  size_t max_trailers = 32;
};

// Call decode() repeatedly with the unconsumed input. Each call consumes some prefix of `input`
// (consumed, possibly 0) and returns:
//   kData:     `data` is a piece of chunk data (a view into input; consumed includes it);
//   kTrailer:  `trailer` is one complete trailer field;
//   kNeedMore: nothing more can be decoded until more bytes arrive; the unconsumed rest of the
//              input (an incomplete line) must be presented again, followed by the new bytes;
//   kDone:     the last chunk and the trailer section ended; consumed ends right after them;
//   kError:    error() says why (bad chunk size, size overflow beyond 2^63, bare LF, missing
//              CRLF after data, line too long, bad trailer field, too many trailers).
// Chunk extensions are parsed for syntax and dropped.
class ChunkedDecoder {
 public:
  enum class Status : uint8_t { kData, kTrailer, kNeedMore, kDone, kError };

  explicit ChunkedDecoder(ChunkedLimits limits = {}) : limits_(limits) {}

  Status decode(std::string_view input, size_t& consumed, std::string_view& data, Header& trailer);
  ParseError error() const { return error_; }
  bool done() const { return state_ == State::kDone; }
  void reset();

 private:
  enum class State : uint8_t { kSize, kData, kDataCrlf, kTrailer, kDone, kError };
  Status fail(ParseError error);
  static size_t find_line(std::string_view input, size_t limit, ParseError& error);

  ChunkedLimits limits_;
  State state_ = State::kSize;
  uint64_t remaining_ = 0;  // bytes left in the current chunk
  size_t trailer_bytes_ = 0;
  size_t trailers_ = 0;
  ParseError error_ = ParseError::kNone;
};

// Writes chunked framing: "<hex size>\r\n" for a chunk header, "\r\n" after data, "0\r\n\r\n"
// for the end. Returns the number of bytes written into `out` (which must hold 20 bytes).
size_t write_chunk_header(char* out, uint64_t size);

}  // namespace espd::http1
