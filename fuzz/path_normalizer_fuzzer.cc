// Fuzz target: request-path normalisation (proxy/esp/path_normalizer.cc), the step that makes what
// the ESP policy checks equal to what the real server receives. Oracles on every accepted path:
// absolute, no "//", no "." or ".." segment, no backslash, no encoded "/", "\" or NUL, only
// well-formed upper-case escapes of reserved bytes; normalising again changes nothing (a second
// decoding by the real server cannot reveal anything the first pass would have refused).
#include <string>

#include "fuzz/fuzz_support.h"
#include "proxy/esp/path_normalizer.h"

namespace {

using namespace espd;
using espd::fuzz::require;

bool is_upper_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

int hex(char c) {
  return c <= '9' ? c - '0' : c - 'A' + 10;
}

bool is_unreserved(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

void check_normalized(std::string_view raw, const std::string& out) {
  std::string detail = "raw: " + std::string(raw) + "\nnormalised: " + out;
  require(!out.empty() && out.front() == '/', "the result is absolute", detail);
  require(out.find("//") == std::string::npos, "no empty segment", detail);
  require(out.find('\\') == std::string::npos, "no backslash", detail);
  size_t start = 1;
  while (start <= out.size()) {
    size_t end = out.find('/', start);
    std::string_view segment =
        std::string_view(out).substr(start, end == std::string::npos ? end : end - start);
    require(segment != "." && segment != "..", "no dot-segment", detail);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] != '%') continue;
    require(i + 2 < out.size() && is_upper_hex(out[i + 1]) && is_upper_hex(out[i + 2]),
            "escapes are two upper-case hex digits", detail);
    int byte = hex(out[i + 1]) * 16 + hex(out[i + 2]);
    require(byte != '/' && byte != '\\' && byte != 0, "no encoded slash, backslash or NUL", detail);
    require(!is_unreserved(byte), "unreserved characters are decoded", detail);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view raw = fuzz::as_view(data, size);
  std::string out;
  esp::PathError error = esp::normalize_path(raw, out);
  if (error != esp::PathError::kNone) {
    require(std::string_view(esp::path_error_reason(error)) != "unknown", "errors have a name");
    return 0;
  }
  check_normalized(raw, out);
  std::string again;
  esp::PathError second = esp::normalize_path(out, again);
  std::string detail = "raw: " + std::string(raw) + "\nnormalised: " + out + "\nagain: " +
                       (second == esp::PathError::kNone ? again : esp::path_error_reason(second));
  require(second == esp::PathError::kNone, "a normalised path is accepted again", detail);
  require(again == out, "normalising is idempotent", detail);
  return 0;
}
