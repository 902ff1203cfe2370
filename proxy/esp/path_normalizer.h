// Normalising a request path so that what the ESP policy checks is exactly what the real server
// receives: unreserved characters percent-decoded, repeated slashes merged, dot-segments removed
// (RFC 3986 5.2.4), and every encoding trick refused.
#pragma once

#include <string>
#include <string_view>

namespace espd::esp {

enum class PathError : uint8_t {
  kNone,
  kNotAbsolute,             // does not start with "/"
  kInvalidPercentEncoding,  // "%" not followed by two hex digits
  kEncodedNul,              // %00
  kEncodedSlash,            // %2f: would split a segment after decoding
  kEncodedBackslash,        // %5c: IIS treats "\" as a separator
  kEncodedDotSegment,       // "%2e", "%2e%2e", ".%2e": a dot-segment in disguise
  kDoubleEncoding,          // %25 followed by an encoded ".", "/", "\", "%" or NUL (e.g. %252e)
  kOverlongUtf8,            // e.g. %c0%ae, an overlong "."
  kInvalidUtf8,             // percent-encoded bytes that are not UTF-8
  kBackslash,               // a raw "\"
  kAboveRoot,               // "/../x": climbs above the root
};

const char* path_error_reason(PathError error);  // "encoded_slash", ...

// Writes the normalised form of `raw` (a request path, no query) into `out`.
// Percent-encodings of unreserved characters (ALPHA DIGIT - . _ ~) are decoded; other encodings
// are kept (hex digits upper-cased); a trailing slash is kept.
PathError normalize_path(std::string_view raw, std::string& out);

}  // namespace espd::esp
