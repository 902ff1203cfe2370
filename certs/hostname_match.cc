// Matching a host name against a certificate's DNS names (RFC 6125 section 6.4).
#include "certs/hostname_match.h"

#include "proxy/net/socket_address.h"

namespace espd::certs {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

}  // namespace

bool certificate_name_matches(std::string_view pattern, std::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (!pattern.empty() && pattern.back() == '.') pattern.remove_suffix(1);
  if (host.empty() || pattern.empty()) return false;
  if (pattern.size() > 2 && pattern[0] == '*' && pattern[1] == '.') {
    if (net::is_ip_literal(host)) return false;
    std::string_view suffix = pattern.substr(1);  // ".contoso.com"
    size_t dot = host.find('.');
    if (dot == 0 || dot == std::string_view::npos) return false;
    return iequals(host.substr(dot), suffix);
  }
  return iequals(pattern, host);
}

}  // namespace espd::certs
