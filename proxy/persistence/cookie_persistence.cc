// Active cookie persistence (MS-WSMAN).
#include "proxy/persistence/cookie_persistence.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace espd::persistence {
namespace {

constexpr size_t kMacBytes = 16;

std::string base64url(const unsigned char* data, size_t length) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t buffer = 0;
  int bits = 0;
  for (size_t i = 0; i < length; ++i) {
    buffer = (buffer << 8) | data[i];
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(kAlphabet[(buffer >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (6 - bits)) & 63]);
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

}  // namespace

std::string cookie_value(const PersistenceKey& key, std::string_view virtual_service,
                         std::string_view pool, std::string_view address_port) {
  std::string message;
  message.append(virtual_service).push_back('\0');
  message.append(pool).push_back('\0');
  message.append(address_port);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &length);
  return base64url(mac, kMacBytes);
}

std::string_view find_cookie(const std::vector<http1::Header>& headers, std::string_view name) {
  for (const http1::Header& field : headers) {
    if (!http1::iequals(field.name, "cookie")) continue;
    std::string_view rest = field.value;
    while (!rest.empty()) {
      size_t semicolon = rest.find(';');
      std::string_view pair = trim(rest.substr(0, semicolon));
      size_t equals = pair.find('=');
      if (equals != std::string_view::npos && trim(pair.substr(0, equals)) == name) {
        std::string_view value = trim(pair.substr(equals + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
          value = value.substr(1, value.size() - 2);
        }
        return value;
      }
      if (semicolon == std::string_view::npos) break;
      rest.remove_prefix(semicolon + 1);
    }
  }
  return {};
}

std::string set_cookie_field(const config::PersistenceConfig& config, std::string_view value) {
  std::string field = "Set-Cookie: ";
  field.append(config.cookie).push_back('=');
  field.append(value).append("; Path=/");
  if (config.cookie_secure) field.append("; Secure");
  if (!config.cookie_samesite.empty()) field.append("; SameSite=").append(config.cookie_samesite);
  field.append("\r\n");
  return field;
}

bool same_value(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace espd::persistence
