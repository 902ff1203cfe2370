// Fuzz target: host normalisation and the allowed-host matcher (proxy/esp/host_matcher.cc). The
// input's first line is a Host value, the other lines are allowed-host patterns. Oracles: a
// normalised host is lower case, without port or trailing dot, made of valid characters, accepted
// by the HTTP/1.1 Host grammar, and normalises to itself; HostMatcher agrees with a reference
// written from the documented rules (exact names, "*.suffix" = exactly one more label, IPv6
// literals bracketed), whatever the case of the patterns.
#include <string>
#include <vector>

#include "fuzz/fuzz_support.h"
#include "proxy/esp/host_matcher.h"
#include "proxy/http1/field_syntax.h"

namespace {

using namespace espd;
using espd::fuzz::require;

constexpr size_t kMaxPatterns = 16;

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    c = c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
  return out;
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    c = c >= 'a' && c <= 'z' ? static_cast<char>(c - 32) : c;
  return out;
}

bool reference_matches(const std::vector<std::string>& patterns, const std::string& host) {
  for (const std::string& written : patterns) {
    std::string pattern = lower(written);
    if (!pattern.empty() && pattern.back() == '.') pattern.pop_back();
    if (pattern.size() > 2 && pattern.compare(0, 2, "*.") == 0) {
      std::string suffix = pattern.substr(1);
      if (host.size() <= suffix.size() || host.front() == '[') continue;
      std::string label = host.substr(0, host.size() - suffix.size());
      if (host.compare(label.size(), suffix.size(), suffix) == 0 &&
          label.find('.') == std::string::npos) {
        return true;
      }
      continue;
    }
    if (pattern.find(':') != std::string::npos && pattern.front() != '[')
      pattern = "[" + pattern + "]";
    if (pattern == host) return true;
  }
  return false;
}

void check_normalized(std::string_view raw, const esp::NormalizedHost& host) {
  std::string detail = "raw: " + std::string(raw) + "\nname: " + host.name;
  require(!host.name.empty(), "a valid host has a name", detail);
  require(host.name == lower(host.name), "the name is lower case", detail);
  require(http1::is_valid_host(raw), "a host espd accepts is a valid HTTP/1.1 Host", detail);
  if (host.name.front() != '[') {
    require(host.name.back() != '.' && host.name.front() != '.', "no leading or trailing dot",
            detail);
    require(host.name.find("..") == std::string::npos, "no empty label", detail);
    for (unsigned char c : host.name) {
      bool ok =
          (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
      require(ok, "names are letters, digits, '-', '_' and '.'", detail);
    }
  }
  std::string again_text = host.name;
  if (host.port != 0) again_text += ":" + std::to_string(host.port);
  esp::NormalizedHost again = esp::normalize_host(again_text);
  require(again.valid && again.name == host.name && again.port == host.port,
          "a normalised host normalises to itself", detail);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view rest = fuzz::as_view(data, size);
  size_t newline = rest.find('\n');
  std::string_view raw = rest.substr(0, newline);
  std::vector<std::string> patterns;
  while (newline != std::string_view::npos && patterns.size() < kMaxPatterns) {
    rest.remove_prefix(newline + 1);
    newline = rest.find('\n');
    patterns.emplace_back(rest.substr(0, newline));
  }

  esp::NormalizedHost host = esp::normalize_host(raw);
  if (!host.valid) return 0;
  check_normalized(raw, host);

  bool expected = reference_matches(patterns, host.name);
  std::string detail = "host: " + host.name;
  for (const std::string& pattern : patterns)
    detail += "\npattern: " + pattern;
  require(esp::HostMatcher(patterns).matches(host.name) == expected,
          "HostMatcher agrees with the documented rules", detail);
  std::vector<std::string> shouted;
  for (const std::string& pattern : patterns)
    shouted.push_back(upper(pattern));
  require(esp::HostMatcher(shouted).matches(host.name) == expected,
          "patterns match case-insensitively", detail);
  return 0;
}
