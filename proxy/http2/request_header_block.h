// The header block of one HTTP/2 request, collected field by field as nghttp2 decodes it, checked
// and turned into the HTTP/1.1-shaped head that the dispatcher and the real server see.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/http1/message.h"

namespace espd::http2 {

struct RequestBlockLimits {
  size_t max_header_list_bytes = 65536;  // decoded, counted as RFC 9113 6.5.2 does (+32 a field)
  size_t max_headers = 100;              // regular fields (pseudo-header fields not counted)
  size_t max_target_bytes = 8192;        // :path
};

// Why a request block is refused; each maps to one status and one log reason.
enum class BlockError : uint8_t {
  kNone,
  kHeaderListTooLarge,  // 431
  kTooManyHeaders,      // 431
  kTargetTooLong,       // 414
  kBadPseudoHeader,     // 400: unknown, repeated, after a regular field, or missing
  kBadFieldName,        // 400: not a lower-case token
  kBadFieldValue,       // 400: NUL, CR, LF or another control character
  kConnectionSpecific,  // 400: Connection, Keep-Alive, Transfer-Encoding, Upgrade, TE != trailers
  kBadMethod,           // 400
  kBadPath,             // 400
  kBadAuthority,        // 400
  kAuthorityHostMismatch,  // 400: a Host field that disagrees with :authority
  kBadContentLength,       // 400
  kConnectNotSupported,    // 405
};

const char* block_error_reason(BlockError error);  // stable snake_case name for logs
uint16_t block_error_status(BlockError error);     // 400, 405, 414 or 431

class RequestHeaderBlock {
 public:
  explicit RequestHeaderBlock(const RequestBlockLimits& limits) : limits_(limits) {}

  // One decoded field. After the first error further fields are only counted (the block must
  // still be decoded to keep HPACK state), and the error stays.
  void add(std::string_view name, std::string_view value);
  // Bytes of the decoded list so far (RFC 9113 accounting), to spot decompression bombs.
  size_t decoded_bytes() const { return decoded_bytes_; }
  BlockError error() const { return error_; }
  // The pseudo-header fields as received so far (empty: not seen, or refused before it was
  // kept), so that the security record of a refused block says what the request was.
  std::string_view method() const { return text(method_.value, method_.value_length); }
  std::string_view authority() const { return text(authority_.value, authority_.value_length); }
  std::string_view path() const { return text(path_.value, path_.value_length); }
  // :authority, or else the value of a host field kept so far (RFC 9113 8.3.1 lets a request
  // carry its authority in Host): the host a record names.
  std::string_view host() const;

  // Completes the block: `end_stream` says whether the HEADERS frame ended the request (no
  // body). Fills `head` (views into this block, valid until it is reset or destroyed) the way
  // the HTTP/1.1 parser would: Host from :authority, Cookie fields joined with "; " (RFC 9113
  // 8.2.3), body framing from Content-Length (absent: chunked toward the real server).
  BlockError build(bool end_stream, http1::RequestHead& head);

  // Frees the storage (after dispatch, nothing refers to it any more).
  void reset();

 private:
  struct Field {
    uint32_t name;  // offsets into storage_
    uint32_t name_length;
    uint32_t value;
    uint32_t value_length;
  };
  std::string_view text(uint32_t offset, uint32_t length) const {
    return std::string_view(storage_).substr(offset, length);
  }
  void fail(BlockError error) {
    if (error_ == BlockError::kNone) error_ = error;
  }
  void add_pseudo(std::string_view name, std::string_view value);
  uint32_t store(std::string_view bytes);

  RequestBlockLimits limits_;
  std::string storage_;
  std::vector<Field> fields_;
  // Pseudo-header fields: offsets into storage_ (length 0 with set_ bit clear: absent).
  Field method_{}, scheme_{}, authority_{}, path_{};
  uint8_t pseudo_seen_ = 0;  // bit per pseudo-header field
  bool regular_seen_ = false;
  size_t decoded_bytes_ = 0;
  BlockError error_ = BlockError::kNone;
};

}  // namespace espd::http2
