// The allowed virtual hosts of a virtual service, and the normalisation of a request's host.
#include "proxy/esp/host_matcher.h"

#include <arpa/inet.h>

#include <algorithm>

namespace espd::esp {
namespace {

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  });
  return out;
}

bool is_name_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_';
}

bool parse_port(std::string_view text, uint16_t& port) {
  if (text.empty() || text.size() > 5) return false;
  unsigned value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value == 0 || value > 65535) return false;
  port = static_cast<uint16_t>(value);
  return true;
}

}  // namespace

NormalizedHost normalize_host(std::string_view host) {
  NormalizedHost result;
  std::string_view name = host;
  if (!host.empty() && host.front() == '[') {
    size_t close = host.find(']');
    if (close == std::string_view::npos) return result;
    name = host.substr(0, close + 1);
    std::string_view rest = host.substr(close + 1);
    if (!rest.empty() && (rest.front() != ':' || !parse_port(rest.substr(1), result.port))) {
      return result;
    }
    std::string literal(name.substr(1, name.size() - 2));
    for (unsigned char c : literal) {
      bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      if (!hex && c != ':' && c != '.') return result;  // also a NUL, where inet_pton would stop
    }
    // A real IPv6 address, not just its characters: "[1]" or "[]" is no host.
    in6_addr address;
    if (::inet_pton(AF_INET6, literal.c_str(), &address) != 1) return result;
  } else {
    size_t colon = host.find(':');
    if (colon != std::string_view::npos) {
      name = host.substr(0, colon);
      if (!parse_port(host.substr(colon + 1), result.port)) return result;
    }
    if (!name.empty() && name.back() == '.') name.remove_suffix(1);  // one: "a.." is invalid
    if (name.empty() || name.front() == '.' || name.back() == '.') return result;
    for (unsigned char c : name) {
      if (!is_name_char(c)) return result;
    }
    if (name.find("..") != std::string_view::npos) return result;
  }
  result.name = lower(name);
  result.valid = true;
  return result;
}

HostMatcher::HostMatcher(const std::vector<std::string>& patterns) {
  for (const std::string& pattern : patterns) {
    std::string p = lower(pattern);
    if (!p.empty() && p.back() == '.') p.pop_back();
    if (p.size() > 2 && p[0] == '*' && p[1] == '.') {
      wildcard_suffixes_.push_back(p.substr(1));
    } else if (p.find(':') != std::string::npos && p.front() != '[') {
      exact_.push_back("[" + p + "]");  // an IPv6 literal is written without brackets
    } else {
      exact_.push_back(p);
    }
  }
}

bool HostMatcher::matches(std::string_view host) const {
  for (const std::string& name : exact_) {
    if (name == host) return true;
  }
  if (host.empty() || host.front() == '[') return false;
  size_t dot = host.find('.');
  if (dot == 0 || dot == std::string_view::npos) return false;
  std::string_view suffix = host.substr(dot);  // exactly one label before the suffix
  for (const std::string& wildcard : wildcard_suffixes_) {
    if (suffix == wildcard) return true;
  }
  return false;
}

}  // namespace espd::esp
