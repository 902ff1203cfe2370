// Fuzz target: the allowed-directory matcher (proxy/esp/directory_matcher.cc). The input is a
// flags byte, then patterns one per line, the last line being the path. Oracle: glob_match (greedy
// with one backtrack point, linear) agrees with a plain dynamic-programming matcher, for case-
// sensitive and case-insensitive services, and DirectoryMatcher::matches is "any pattern matches".
#include <string>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "proxy/esp/directory_matcher.h"

namespace {

using namespace espd;
using espd::fuzz::require;

constexpr size_t kMaxPatterns = 16;
constexpr size_t kMaxLength = 256;  // the reference is quadratic

char fold(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}

// matches[i][j]: pattern[i..] matches text[j..].
bool reference_match(std::string pattern, std::string text, bool case_sensitive) {
  if (!case_sensitive) {
    for (char& c : pattern)
      c = fold(c);
    for (char& c : text)
      c = fold(c);
  }
  size_t p = pattern.size(), t = text.size();
  std::vector<std::vector<char>> m(p + 1, std::vector<char>(t + 1, 0));
  m[p][t] = 1;
  for (size_t i = p; i-- > 0;) {
    for (size_t j = t + 1; j-- > 0;) {
      if (pattern[i] == '*') {
        m[i][j] = m[i + 1][j] || (j < t && m[i][j + 1]);
      } else {
        m[i][j] = j < t && pattern[i] == text[j] && m[i + 1][j + 1];
      }
    }
  }
  return m[0][0];
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  bool case_sensitive = data[0] & 1;
  std::string_view rest = fuzz::as_view(data + 1, size - 1);
  std::vector<std::string> lines;
  while (lines.size() <= kMaxPatterns) {
    size_t newline = rest.find('\n');
    lines.emplace_back(rest.substr(0, std::min(newline, kMaxLength)));
    if (newline == std::string_view::npos) break;
    rest.remove_prefix(newline + 1);
  }
  std::string path = lines.back();
  lines.pop_back();

  esp::DirectoryMatcher matcher(lines, case_sensitive);
  bool any = false;
  for (const std::string& pattern : lines) {
    bool expected = reference_match(pattern, path, case_sensitive);
    std::string folded = pattern;
    if (!case_sensitive) {
      for (char& c : folded)
        c = fold(c);
    }
    bool got = esp::glob_match(folded, path, !case_sensitive);
    require(got == expected, "glob_match agrees with the reference matcher",
            "pattern: " + pattern + "\npath: " + path);
    any = any || expected;
  }
  require(matcher.matches(path) == any, "a path is allowed iff some pattern matches it");
  return 0;
}
