// The allowed virtual directories of a virtual service: patterns where "*" matches any run of
// characters ("/*", "/meet/*", "/owa*"), matched against the normalised path.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace espd::esp {

class DirectoryMatcher {
 public:
  DirectoryMatcher() = default;
  // Case-insensitive unless `case_sensitive` (IIS real servers are case-insensitive).
  DirectoryMatcher(const std::vector<std::string>& patterns, bool case_sensitive);

  bool matches(std::string_view path) const;

 private:
  std::vector<std::string> patterns_;  // lower-cased when case-insensitive
  bool case_sensitive_ = false;
};

// Glob match with "*" only; `fold` compares ASCII case-insensitively (the pattern is lower case).
bool glob_match(std::string_view pattern, std::string_view text, bool fold);

}  // namespace espd::esp
