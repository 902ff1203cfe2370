// Normalising a request path (RFC 3986 5.2.4) and refusing encoding tricks.
#include "proxy/esp/path_normalizer.h"

namespace espd::esp {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The byte of "%XY" at text[i] (text[i] == '%'), or -1 if malformed.
int percent_byte(std::string_view text, size_t i) {
  if (i + 2 >= text.size()) return -1;
  int high = hex_value(text[i + 1]);
  int low = hex_value(text[i + 2]);
  if (high < 0 || low < 0) return -1;
  return high * 16 + low;
}

bool is_unreserved(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// "%25" then "XY" in a decoded segment: "%XY" encoded once more, which a server decoding twice
// turns into a separator, a dot, a "%" or NUL. Looked for after decoding, so that "%25%32%65"
// (the hex digits encoded too, decoding to "%252e") is refused like "%252e".
bool hides_encoded_separator(std::string_view segment) {
  for (size_t k = 0; k + 4 < segment.size(); ++k) {
    if (segment.substr(k, 3) != "%25") continue;
    int high = hex_value(segment[k + 3]);
    int low = hex_value(segment[k + 4]);
    if (high < 0 || low < 0) continue;
    int next = high * 16 + low;
    if (next == '.' || next == '/' || next == '\\' || next == '%' || next == 0) return true;
  }
  return false;
}

// Validates a run of percent-encoded bytes >= 0x80 as UTF-8, starting at raw[i]; on success
// advances `i` past the run and appends it (encoded, upper-case hex) to `segment`.
PathError take_utf8_run(std::string_view raw, size_t& i, std::string& segment) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  while (i < raw.size() && raw[i] == '%') {
    int lead = percent_byte(raw, i);
    if (lead < 0x80) return PathError::kNone;  // the run ended (the caller handles the rest)
    size_t length;
    int min_second = 0x80, max_second = 0xbf;
    if (lead == 0xc0 || lead == 0xc1) return PathError::kOverlongUtf8;
    if (lead >= 0xc2 && lead <= 0xdf) {
      length = 2;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      length = 3;
      if (lead == 0xe0) min_second = 0xa0;  // below: overlong
      if (lead == 0xed) max_second = 0x9f;  // above: UTF-16 surrogates
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      length = 4;
      if (lead == 0xf0) min_second = 0x90;  // below: overlong
      if (lead == 0xf4) max_second = 0x8f;  // above: beyond U+10FFFF
    } else {
      return PathError::kInvalidUtf8;
    }
    for (size_t k = 0; k < length; ++k) {
      int byte = percent_byte(raw, i + 3 * k);
      if (byte < 0) return PathError::kInvalidUtf8;
      if (k == 1 && (byte < min_second || byte > max_second)) {
        bool overlong = (lead == 0xe0 && byte < 0xa0) || (lead == 0xf0 && byte < 0x90);
        return overlong ? PathError::kOverlongUtf8 : PathError::kInvalidUtf8;
      }
      if (k >= 1 && (byte < 0x80 || byte > 0xbf)) return PathError::kInvalidUtf8;
      segment.push_back('%');
      segment.push_back(kHex[byte >> 4]);
      segment.push_back(kHex[byte & 15]);
    }
    i += 3 * length;
  }
  return PathError::kNone;
}

}  // namespace

const char* path_error_reason(PathError error) {
  switch (error) {
    case PathError::kNone:
      return "none";
    case PathError::kNotAbsolute:
      return "path_not_absolute";
    case PathError::kInvalidPercentEncoding:
      return "invalid_percent_encoding";
    case PathError::kEncodedNul:
      return "encoded_nul";
    case PathError::kEncodedSlash:
      return "encoded_slash";
    case PathError::kEncodedBackslash:
      return "encoded_backslash";
    case PathError::kEncodedDotSegment:
      return "encoded_dot_segment";
    case PathError::kDoubleEncoding:
      return "double_encoding";
    case PathError::kOverlongUtf8:
      return "overlong_utf8";
    case PathError::kInvalidUtf8:
      return "invalid_utf8";
    case PathError::kBackslash:
      return "backslash";
    case PathError::kAboveRoot:
      return "path_above_root";
  }
  return "unknown";
}

PathError normalize_path(std::string_view raw, std::string& out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out.clear();
  if (raw.empty() || raw.front() != '/') return PathError::kNotAbsolute;
  std::string segment;
  size_t i = 1;
  bool trailing_slash = false;
  while (i <= raw.size()) {
    // Decode one segment (up to the next raw "/").
    segment.clear();
    bool encoded_dot = false;
    while (i < raw.size() && raw[i] != '/') {
      char c = raw[i];
      if (c == '\\') return PathError::kBackslash;
      if (c != '%') {
        segment.push_back(c);
        ++i;
        continue;
      }
      int byte = percent_byte(raw, i);
      if (byte < 0) return PathError::kInvalidPercentEncoding;
      if (byte >= 0x80) {
        if (PathError e = take_utf8_run(raw, i, segment); e != PathError::kNone) return e;
        continue;
      }
      switch (byte) {
        case 0x00:
          return PathError::kEncodedNul;
        case '/':
          return PathError::kEncodedSlash;
        case '\\':
          return PathError::kEncodedBackslash;
        default:
          break;
      }
      if (is_unreserved(byte)) {
        if (byte == '.') encoded_dot = true;
        segment.push_back(static_cast<char>(byte));
      } else {
        segment.push_back('%');
        segment.push_back(kHex[byte >> 4]);
        segment.push_back(kHex[byte & 15]);
      }
      i += 3;
    }
    if (hides_encoded_separator(segment)) return PathError::kDoubleEncoding;
    bool last = i >= raw.size();
    bool dot = segment == ".";
    bool dot_dot = segment == "..";
    if ((dot || dot_dot) && encoded_dot) return PathError::kEncodedDotSegment;
    if (segment.empty() || dot) {
      trailing_slash = last;  // "//" merges; "/." is removed
    } else if (dot_dot) {
      if (out.empty()) return PathError::kAboveRoot;
      out.erase(out.rfind('/'));
      trailing_slash = last;
    } else {
      out.push_back('/');
      out += segment;
      trailing_slash = false;
    }
    ++i;  // past the "/" (or past the end)
  }
  if (out.empty() || trailing_slash) out.push_back('/');
  return PathError::kNone;
}

}  // namespace espd::esp
