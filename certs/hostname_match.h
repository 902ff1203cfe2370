// Matching a host name against a certificate's DNS names (RFC 6125 section 6.4).
#pragma once

#include <string_view>

namespace espd::certs {

// Case-insensitive; a trailing dot on `host` is ignored. A wildcard is accepted only as the whole
// left-most label ("*.contoso.com") and matches exactly one label: "a.contoso.com" yes,
// "contoso.com" and "a.b.contoso.com" no. Wildcards never match IP literals.
bool certificate_name_matches(std::string_view pattern, std::string_view host);

}  // namespace espd::certs
