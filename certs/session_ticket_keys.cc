// Process-wide TLS session ticket keys, rotated on a schedule.
#include "certs/session_ticket_keys.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstring>

namespace espd::certs {
namespace {

constexpr size_t kKeysKept = 3;

}  // namespace

SessionTicketKeys& SessionTicketKeys::instance() {
  static SessionTicketKeys keys;
  return keys;
}

SessionTicketKeys::SessionTicketKeys() {
  rotate();
}

void SessionTicketKeys::rotate() {
  Key fresh;
  RAND_bytes(fresh.name.data(), fresh.name.size());
  RAND_bytes(fresh.aes.data(), fresh.aes.size());
  RAND_bytes(fresh.hmac.data(), fresh.hmac.size());
  auto next = std::make_shared<KeySet>();
  next->keys.push_back(fresh);
  if (auto current = keys_.load()) {
    for (const Key& key : current->keys) {
      if (next->keys.size() == kKeysKept) break;
      next->keys.push_back(key);
    }
  }
  keys_.store(std::move(next));
}

void SessionTicketKeys::install(SSL_CTX* ctx) {
  SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, &SessionTicketKeys::callback);
}

int SessionTicketKeys::callback(SSL*, unsigned char* key_name, unsigned char* iv,
                                EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, int encrypt) {
  std::shared_ptr<const KeySet> set = instance().keys_.load();
  const Key* key = nullptr;
  int result = 1;
  if (encrypt) {
    key = &set->keys.front();
    std::memcpy(key_name, key->name.data(), key->name.size());
    if (RAND_bytes(iv, EVP_MAX_IV_LENGTH) != 1) return -1;
  } else {
    for (size_t i = 0; i < set->keys.size(); ++i) {
      if (std::memcmp(key_name, set->keys[i].name.data(), 16) == 0) {
        key = &set->keys[i];
        result = i == 0 ? 1 : 2;  // 2: accept, and issue a ticket under the current key
        break;
      }
    }
    if (!key) return 0;  // unknown key: full handshake
  }
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(
          OSSL_MAC_PARAM_KEY, const_cast<unsigned char*>(key->hmac.data()), key->hmac.size()),
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_CTX_set_params(mac, params) != 1) return -1;
  int ok = encrypt ? EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key->aes.data(), iv)
                   : EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key->aes.data(), iv);
  return ok == 1 ? result : -1;
}

}  // namespace espd::certs
