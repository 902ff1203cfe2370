// Active cookie persistence (MS-WSMAN): the cookie value that names a real server, finding the
// cookie in a request, and the Set-Cookie line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "proxy/config/config_model.h"
#include "proxy/http1/message.h"
#include "proxy/persistence/persistence_key.h"

namespace espd::persistence {

// The cookie value for a real server: base64url of a truncated HMAC-SHA256 over the virtual
// service, pool and address:port. It reveals nothing about the address, is the same after a
// restart and on every node with the same key and configuration, and cannot be made up without
// the key: a value that matches no server of the pool is simply not a valid cookie.
std::string cookie_value(const PersistenceKey& key, std::string_view virtual_service,
                         std::string_view pool, std::string_view address_port);

// The value of cookie `name` in the request's Cookie fields (all of them: HTTP/2 splits
// cookies), or empty. The first one wins.
std::string_view find_cookie(const std::vector<http1::Header>& headers, std::string_view name);

// "Set-Cookie: MS-WSMAN=<value>; Path=/[; Secure][; SameSite=...]\r\n": a session cookie (no
// Expires, no Max-Age), not HttpOnly, as Lync's load-balancer guidance requires.
std::string set_cookie_field(const config::PersistenceConfig& config, std::string_view value);

// Constant-time comparison of two cookie values.
bool same_value(std::string_view a, std::string_view b);

}  // namespace espd::persistence
