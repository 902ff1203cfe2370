// Incremental decoder of the chunked transfer coding.
#include "proxy/http1/chunked_decoder.h"

#include <algorithm>

#include "proxy/http1/field_syntax.h"

namespace espd::http1 {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string_view skip_bws(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  return text;
}

std::string_view take_token(std::string_view& text) {
  size_t n = 0;
  while (n < text.size() && is_token_char(static_cast<unsigned char>(text[n])))
    ++n;
  std::string_view token = text.substr(0, n);
  text.remove_prefix(n);
  return token;
}

// quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE
bool take_quoted_string(std::string_view& text) {
  if (text.empty() || text.front() != '"') return false;
  for (size_t i = 1; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c == '"') {
      text.remove_prefix(i + 1);
      return true;
    }
    if (c == '\\') {
      if (++i >= text.size() || !is_field_value_char(static_cast<unsigned char>(text[i])))
        return false;
      continue;
    }
    if (!is_field_value_char(c)) return false;
  }
  return false;
}

// chunk-size [ chunk-ext ]: returns false on any syntax error or a size beyond 2^63 - 1.
bool parse_size_line(std::string_view line, uint64_t& size) {
  size_t digits = 0;
  uint64_t value = 0;
  while (digits < line.size() && hex_value(line[digits]) >= 0) {
    if (digits == 16 || (digits == 15 && value > (0x7fffffffffffffffULL >> 4))) return false;
    value = (value << 4) | static_cast<uint64_t>(hex_value(line[digits]));
    ++digits;
  }
  if (digits == 0) return false;
  std::string_view rest = line.substr(digits);
  for (;;) {
    rest = skip_bws(rest);
    if (rest.empty()) break;
    if (rest.front() != ';') return false;
    rest = skip_bws(rest.substr(1));
    if (take_token(rest).empty()) return false;
    rest = skip_bws(rest);
    if (!rest.empty() && rest.front() == '=') {
      rest = skip_bws(rest.substr(1));
      if (!rest.empty() && rest.front() == '"') {
        if (!take_quoted_string(rest)) return false;
      } else if (take_token(rest).empty()) {
        return false;
      }
    }
  }
  size = value;
  return true;
}

}  // namespace

size_t write_chunk_header(char* out, uint64_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  char digits[16];
  size_t n = 0;
  do {
    digits[n++] = kHex[size & 15];
    size >>= 4;
  } while (size != 0);
  size_t length = 0;
  while (n > 0)
    out[length++] = digits[--n];
  out[length++] = '\r';
  out[length++] = '\n';
  return length;
}

void ChunkedDecoder::reset() {
  state_ = State::kSize;
  remaining_ = 0;
  trailer_bytes_ = 0;
  trailers_ = 0;
  error_ = ParseError::kNone;
}

ChunkedDecoder::Status ChunkedDecoder::fail(ParseError error) {
  state_ = State::kError;
  error_ = error;
  return Status::kError;
}

// Finds a complete CRLF-terminated line at the start of `input`. Returns its length without
// the CRLF, or npos if incomplete; sets `error` for a bare LF or an over-long line. Only the
// first limit + 2 bytes (the longest allowed line and its CRLF) are examined, so the verdict is
// the same however the bytes arrived: an LF further away means too long, even a bare one.
size_t ChunkedDecoder::find_line(std::string_view input, size_t limit, ParseError& error) {
  size_t lf = input.substr(0, limit + 2).find('\n');
  if (lf == std::string_view::npos) {
    if (input.size() >= limit + 2) error = ParseError::kChunkLineTooLong;
    return std::string_view::npos;
  }
  if (lf == 0 || input[lf - 1] != '\r') {
    error = ParseError::kBareLf;
    return std::string_view::npos;
  }
  return lf - 1;
}

ChunkedDecoder::Status ChunkedDecoder::decode(std::string_view input, size_t& consumed,
                                              std::string_view& data, Header& trailer) {
  consumed = 0;
  for (;;) {
    std::string_view rest = input.substr(consumed);
    switch (state_) {
      case State::kError:
        return Status::kError;
      case State::kDone:
        return Status::kDone;
      case State::kSize: {
        ParseError error = ParseError::kNone;
        size_t length = find_line(rest, limits_.max_line_bytes, error);
        if (error != ParseError::kNone) return fail(error);
        if (length == std::string_view::npos) return Status::kNeedMore;
        uint64_t size = 0;
        if (!parse_size_line(rest.substr(0, length), size)) return fail(ParseError::kBadChunkSize);
        consumed += length + 2;
        if (size == 0) {
          state_ = State::kTrailer;
        } else {
          remaining_ = size;
          state_ = State::kData;
        }
        continue;
      }
      case State::kData: {
        if (rest.empty()) return Status::kNeedMore;
        size_t take = static_cast<size_t>(std::min<uint64_t>(remaining_, rest.size()));
        data = rest.substr(0, take);
        consumed += take;
        remaining_ -= take;
        if (remaining_ == 0) state_ = State::kDataCrlf;
        return Status::kData;
      }
      case State::kDataCrlf: {
        if (rest.empty()) return Status::kNeedMore;
        if (rest[0] == '\n') return fail(ParseError::kBareLf);
        if (rest[0] != '\r') return fail(ParseError::kBadChunkFraming);
        if (rest.size() < 2) return Status::kNeedMore;
        if (rest[1] != '\n') return fail(ParseError::kBadChunkFraming);
        consumed += 2;
        state_ = State::kSize;
        continue;
      }
      case State::kTrailer: {
        ParseError error = ParseError::kNone;
        size_t limit =
            limits_.max_trailer_bytes - std::min(trailer_bytes_, limits_.max_trailer_bytes);
        size_t length = find_line(rest, limit, error);
        if (error == ParseError::kChunkLineTooLong) return fail(ParseError::kTrailersTooLarge);
        if (error != ParseError::kNone) return fail(error);
        if (length == std::string_view::npos) return Status::kNeedMore;
        consumed += length + 2;
        if (length == 0) {
          state_ = State::kDone;
          return Status::kDone;
        }
        trailer_bytes_ += length + 2;
        if (++trailers_ > limits_.max_trailers || trailer_bytes_ > limits_.max_trailer_bytes) {
          return fail(ParseError::kTrailersTooLarge);
        }
        ParseError field_error = parse_field_line(rest.substr(0, length), trailer);
        if (field_error != ParseError::kNone) return fail(field_error);
        return Status::kTrailer;
      }
    }
  }
}

}  // namespace espd::http1
