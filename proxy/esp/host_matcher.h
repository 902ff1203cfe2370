// The allowed virtual hosts of a virtual service, and the normalisation of a request's host.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace espd::esp {

// A request's host as compared: lower case, no trailing dot, no port. IPv6 literals keep their
// brackets ("[::1]").
struct NormalizedHost {
  bool valid = false;
  std::string name;
  uint16_t port = 0;  // 0: none given
};

// Splits and normalises a Host / :authority value. Invalid: empty, bad port, bad characters.
NormalizedHost normalize_host(std::string_view host);

// Exact names and wildcards. "*.contoso.com" matches exactly one more label, as a certificate
// wildcard does (RFC 6125): "meet.contoso.com" yes; "contoso.com" and "a.b.contoso.com" no.
// Case-insensitive; a trailing dot in the request's host is ignored.
class HostMatcher {
 public:
  HostMatcher() = default;
  explicit HostMatcher(const std::vector<std::string>& patterns);

  bool empty() const { return exact_.empty() && wildcard_suffixes_.empty(); }
  // `host` is the `name` of a NormalizedHost.
  bool matches(std::string_view host) const;

 private:
  // Allow-lists are short (a handful of published names): a scan beats hashing, allocates nothing.
  std::vector<std::string> exact_;
  std::vector<std::string> wildcard_suffixes_;  // ".contoso.com"
};

}  // namespace espd::esp
