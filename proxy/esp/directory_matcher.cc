// The allowed virtual directories of a virtual service.
#include "proxy/esp/directory_matcher.h"

#include <algorithm>

namespace espd::esp {
namespace {

char fold_char(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}

}  // namespace

bool glob_match(std::string_view pattern, std::string_view text, bool fold) {
  // Greedy match with one backtrack point: linear in practice, never exponential.
  size_t p = 0, t = 0;
  size_t star = std::string_view::npos, star_text = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_text = t;
    } else if (p < pattern.size() && pattern[p] == (fold ? fold_char(text[t]) : text[t])) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++star_text;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}

DirectoryMatcher::DirectoryMatcher(const std::vector<std::string>& patterns, bool case_sensitive)
    : case_sensitive_(case_sensitive) {
  for (std::string pattern : patterns) {
    if (!case_sensitive) std::transform(pattern.begin(), pattern.end(), pattern.begin(), fold_char);
    patterns_.push_back(std::move(pattern));
  }
}

bool DirectoryMatcher::matches(std::string_view path) const {
  return std::any_of(patterns_.begin(), patterns_.end(), [&](const std::string& pattern) {
    return glob_match(pattern, path, !case_sensitive_);
  });
}

}  // namespace espd::esp
