// Names and statuses of parse errors, and header-name helpers.
#include "proxy/http1/message.h"

#include "proxy/http1/field_syntax.h"

namespace espd::http1 {

const char* error_reason(ParseError error) {
  switch (error) {
    case ParseError::kNone:
      return "none";
    case ParseError::kBadRequestLine:
      return "bad_request_line";
    case ParseError::kBadMethod:
      return "bad_method";
    case ParseError::kBadTarget:
      return "bad_target";
    case ParseError::kUriTooLong:
      return "uri_too_long";
    case ParseError::kBadVersion:
      return "bad_version";
    case ParseError::kVersionNotSupported:
      return "version_not_supported";
    case ParseError::kHeadTooLarge:
      return "head_too_large";
    case ParseError::kTooManyHeaders:
      return "too_many_headers";
    case ParseError::kBareLf:
      return "bare_lf";
    case ParseError::kObsFold:
      return "obs_fold";
    case ParseError::kBadHeaderName:
      return "bad_header_name";
    case ParseError::kBadHeaderValue:
      return "bad_header_value";
    case ParseError::kMissingHost:
      return "missing_host";
    case ParseError::kDuplicateHost:
      return "duplicate_host";
    case ParseError::kBadHost:
      return "bad_host";
    case ParseError::kContentLengthWithTransferEncoding:
      return "content_length_with_transfer_encoding";
    case ParseError::kBadContentLength:
      return "bad_content_length";
    case ParseError::kDuplicateContentLength:
      return "duplicate_content_length";
    case ParseError::kBadTransferEncoding:
      return "bad_transfer_encoding";
    case ParseError::kBadStatusLine:
      return "bad_status_line";
    case ParseError::kBadChunkSize:
      return "bad_chunk_size";
    case ParseError::kBadChunkFraming:
      return "bad_chunk_framing";
    case ParseError::kChunkLineTooLong:
      return "chunk_line_too_long";
    case ParseError::kTrailersTooLarge:
      return "trailers_too_large";
    case ParseError::kFramingFieldLookalike:
      return "framing_field_lookalike";
  }
  return "unknown";
}

uint16_t request_error_status(ParseError error) {
  switch (error) {
    case ParseError::kHeadTooLarge:
    case ParseError::kTooManyHeaders:
      return 431;
    case ParseError::kUriTooLong:
      return 414;
    case ParseError::kVersionNotSupported:
      return 505;
    default:
      return 400;
  }
}

bool is_hop_by_hop(std::string_view name) {
  switch (name.size()) {
    case 2:
      return iequals(name, "te");
    case 7:
      return iequals(name, "upgrade");
    case 10:
      return iequals(name, "connection") || iequals(name, "keep-alive");
    case 16:
      return iequals(name, "proxy-connection");
    case 17:
      return iequals(name, "transfer-encoding");
    case 18:
      return iequals(name, "proxy-authenticate");
    case 19:
      return iequals(name, "proxy-authorization");
    default:
      return false;
  }
}

bool listed_in_connection(const std::vector<Header>& headers, std::string_view name) {
  for (const Header& field : headers) {
    if (field.name.size() != 10 || !iequals(field.name, "connection")) continue;
    bool found = false;
    for_each_list_element(field.value, [&](std::string_view token) {
      if (iequals(token, name)) found = true;
    });
    if (found) return true;
  }
  return false;
}

}  // namespace espd::http1
