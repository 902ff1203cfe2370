// The header block of one HTTP/2 request, checked and turned into an HTTP/1.1-shaped head.
#include "proxy/http2/request_header_block.h"

#include "proxy/http1/field_syntax.h"

namespace espd::http2 {
namespace {

constexpr uint8_t kMethod = 1, kScheme = 2, kAuthority = 4, kPath = 8;

bool is_lower_token(std::string_view name) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    if (!http1::is_token_char(c) || (c >= 'A' && c <= 'Z')) return false;
  }
  return true;
}

bool is_field_value(std::string_view value) {
  for (unsigned char c : value) {
    if (!http1::is_field_value_char(c)) return false;
  }
  return true;
}

bool is_target_char(unsigned char c) {
  return c > 0x20 && c < 0x7f && c != '#';
}

// Fields that only mean something for one HTTP/1.1 connection (RFC 9113 8.2.2).
bool is_connection_specific(std::string_view name, std::string_view value) {
  if (name == "te") return value != "trailers";
  return name == "connection" || name == "keep-alive" || name == "proxy-connection" ||
         name == "transfer-encoding" || name == "upgrade";
}

}  // namespace

const char* block_error_reason(BlockError error) {
  switch (error) {
    case BlockError::kNone:
      return "none";
    case BlockError::kHeaderListTooLarge:
      return "header_list_too_large";
    case BlockError::kTooManyHeaders:
      return "too_many_headers";
    case BlockError::kTargetTooLong:
      return "uri_too_long";
    case BlockError::kBadPseudoHeader:
      return "bad_pseudo_header";
    case BlockError::kBadFieldName:
      return "bad_header_name";
    case BlockError::kBadFieldValue:
      return "bad_header_value";
    case BlockError::kConnectionSpecific:
      return "connection_specific_header";
    case BlockError::kBadMethod:
      return "bad_method";
    case BlockError::kBadPath:
      return "bad_path";
    case BlockError::kBadAuthority:
      return "bad_host";
    case BlockError::kAuthorityHostMismatch:
      return "authority_host_mismatch";
    case BlockError::kBadContentLength:
      return "bad_content_length";
    case BlockError::kConnectNotSupported:
      return "connect_not_supported";
  }
  return "unknown";
}

uint16_t block_error_status(BlockError error) {
  switch (error) {
    case BlockError::kHeaderListTooLarge:
    case BlockError::kTooManyHeaders:
      return 431;
    case BlockError::kTargetTooLong:
      return 414;
    case BlockError::kConnectNotSupported:
      return 405;
    default:
      return 400;
  }
}

uint32_t RequestHeaderBlock::store(std::string_view bytes) {
  auto offset = static_cast<uint32_t>(storage_.size());
  storage_.append(bytes);
  return offset;
}

void RequestHeaderBlock::add(std::string_view name, std::string_view value) {
  decoded_bytes_ += name.size() + value.size() + 32;
  if (decoded_bytes_ > limits_.max_header_list_bytes) fail(BlockError::kHeaderListTooLarge);
  if (error_ != BlockError::kNone) return;
  if (!name.empty() && name.front() == ':') {
    add_pseudo(name, value);
    return;
  }
  regular_seen_ = true;
  if (fields_.size() >= limits_.max_headers) return fail(BlockError::kTooManyHeaders);
  if (!is_lower_token(name)) return fail(BlockError::kBadFieldName);
  // What goes on to the real server is HTTP/1.1: a CR or LF here would split the request.
  if (!is_field_value(value)) return fail(BlockError::kBadFieldValue);
  if (is_connection_specific(name, value)) return fail(BlockError::kConnectionSpecific);
  uint32_t name_offset = store(name);
  uint32_t value_offset = store(value);
  fields_.push_back(Field{name_offset, static_cast<uint32_t>(name.size()), value_offset,
                          static_cast<uint32_t>(value.size())});
}

void RequestHeaderBlock::add_pseudo(std::string_view name, std::string_view value) {
  if (regular_seen_) return fail(BlockError::kBadPseudoHeader);
  uint8_t bit;
  Field* slot;
  if (name == ":method") {
    bit = kMethod, slot = &method_;
  } else if (name == ":scheme") {
    bit = kScheme, slot = &scheme_;
  } else if (name == ":authority") {
    bit = kAuthority, slot = &authority_;
  } else if (name == ":path") {
    bit = kPath, slot = &path_;
  } else {
    return fail(BlockError::kBadPseudoHeader);  // :status, :protocol, anything unknown
  }
  if (pseudo_seen_ & bit) return fail(BlockError::kBadPseudoHeader);
  pseudo_seen_ |= bit;
  if (bit == kPath && value.size() > limits_.max_target_bytes) {
    return fail(BlockError::kTargetTooLong);
  }
  if (!is_field_value(value)) return fail(BlockError::kBadFieldValue);
  slot->value = store(value);
  slot->value_length = static_cast<uint32_t>(value.size());
}

BlockError RequestHeaderBlock::build(bool end_stream, http1::RequestHead& head) {
  if (error_ != BlockError::kNone) return error_;
  std::string_view method = text(method_.value, method_.value_length);
  if (!(pseudo_seen_ & kMethod)) return BlockError::kBadPseudoHeader;
  if (method == "CONNECT") return BlockError::kConnectNotSupported;
  if (!http1::is_token(method)) return BlockError::kBadMethod;
  if ((pseudo_seen_ & (kScheme | kPath)) != (kScheme | kPath)) return BlockError::kBadPseudoHeader;
  std::string_view scheme = text(scheme_.value, scheme_.value_length);
  if (scheme != "https" && scheme != "http") return BlockError::kBadPseudoHeader;
  std::string_view path = text(path_.value, path_.value_length);
  if (path.empty()) return BlockError::kBadPath;
  if (path == "*" ? method != "OPTIONS" : path.front() != '/') return BlockError::kBadPath;
  for (unsigned char c : path) {
    if (!is_target_char(c)) return BlockError::kBadPath;
  }

  // Host: :authority, or a Host field; both present: they must agree.
  std::string_view authority;
  if (pseudo_seen_ & kAuthority) {
    authority = text(authority_.value, authority_.value_length);
    if (!http1::is_valid_host(authority)) return BlockError::kBadAuthority;
  }
  const Field* host_field = nullptr;
  const Field* length_field = nullptr;
  size_t cookies = 0;
  size_t cookie_bytes = 0;
  bool expect_continue = false;
  for (const Field& field : fields_) {
    std::string_view name = text(field.name, field.name_length);
    std::string_view value = text(field.value, field.value_length);
    if (name == "host") {
      if (host_field) return BlockError::kBadAuthority;
      host_field = &field;
      if (!http1::is_valid_host(value)) return BlockError::kBadAuthority;
      if (!authority.empty() && !http1::iequals(authority, value)) {
        return BlockError::kAuthorityHostMismatch;
      }
    } else if (name == "content-length") {
      if (length_field) return BlockError::kBadContentLength;
      length_field = &field;
    } else if (name == "cookie") {
      ++cookies;
      cookie_bytes += value.size() + 2;
    } else if (name == "expect") {
      expect_continue = http1::iequals(value, "100-continue");
    }
  }
  if (authority.empty() && host_field)
    authority = text(host_field->value, host_field->value_length);

  http1::BodyFraming body;
  if (length_field) {
    uint64_t length = 0;
    if (!http1::parse_content_length(text(length_field->value, length_field->value_length),
                                     length)) {
      return BlockError::kBadContentLength;
    }
    if (end_stream && length != 0) return BlockError::kBadContentLength;
    body.kind = end_stream ? http1::BodyKind::kNone : http1::BodyKind::kContentLength;
    body.content_length = length;
  } else if (!end_stream) {
    body.kind = http1::BodyKind::kChunked;  // length unknown: chunked toward the real server
  }

  // Cookie crumbs joined into one field (RFC 9113 8.2.3): stored before any view is taken, since
  // appending may move the storage.
  uint32_t cookie_offset = 0;
  uint32_t cookie_length = 0;
  if (cookies > 1) {
    storage_.reserve(storage_.size() + cookie_bytes);
    cookie_offset = static_cast<uint32_t>(storage_.size());
    for (const Field& field : fields_) {
      if (text(field.name, field.name_length) != "cookie") continue;
      if (storage_.size() != cookie_offset) storage_.append("; ");
      storage_.append(text(field.value, field.value_length));
    }
    cookie_length = static_cast<uint32_t>(storage_.size() - cookie_offset);
  }
  // Re-derive every view now that the storage no longer changes.
  if (pseudo_seen_ & kAuthority) {
    authority = text(authority_.value, authority_.value_length);
  } else if (host_field) {
    authority = text(host_field->value, host_field->value_length);
  }

  std::vector<http1::Header> headers = std::move(head.headers);
  headers.clear();
  head = http1::RequestHead();
  head.method = text(method_.value, method_.value_length);
  head.target = text(path_.value, path_.value_length);
  size_t question = head.target.find('?');
  head.path = head.target.substr(0, question);
  if (question != std::string_view::npos) head.query = head.target.substr(question + 1);
  head.version_minor = 1;
  head.host = authority;
  head.body = body;
  head.expect_continue = expect_continue;
  if (!authority.empty()) headers.push_back(http1::Header{"host", authority});
  for (const Field& field : fields_) {
    std::string_view name = text(field.name, field.name_length);
    if (name == "host") continue;
    if (name == "cookie" && cookies > 1) continue;
    headers.push_back(http1::Header{name, text(field.value, field.value_length)});
  }
  if (cookies > 1) headers.push_back(http1::Header{"cookie", text(cookie_offset, cookie_length)});
  head.headers = std::move(headers);
  return BlockError::kNone;
}

void RequestHeaderBlock::reset() {
  std::string().swap(storage_);
  std::vector<Field>().swap(fields_);
  method_ = scheme_ = authority_ = path_ = Field{};  // their offsets pointed into storage_
}

std::string_view RequestHeaderBlock::host() const {
  if (authority_.value_length != 0) return authority();
  for (const Field& field : fields_) {
    if (text(field.name, field.name_length) == "host") return text(field.value, field.value_length);
  }
  return {};
}

}  // namespace espd::http2
