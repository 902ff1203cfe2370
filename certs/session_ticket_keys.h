// Process-wide TLS session ticket keys, rotated on a schedule, shared by every listener and
// worker so a client resumes on whichever worker its next connection lands.
#pragma once

#include <openssl/ssl.h>

#include <array>
#include <atomic>
#include <memory>
#include <vector>

namespace espd::certs {

class SessionTicketKeys {
 public:
  static SessionTicketKeys& instance();

  // Makes a new encryption key; the previous two stay valid for decryption (a ticket lives at
  // most two rotation periods).
  void rotate();
  // Installs the ticket callback on a server context.
  static void install(SSL_CTX* ctx);

 private:
  struct Key {
    std::array<unsigned char, 16> name;
    std::array<unsigned char, 32> aes;
    std::array<unsigned char, 32> hmac;
  };
  struct KeySet {
    std::vector<Key> keys;  // [0] encrypts; all decrypt
  };

  SessionTicketKeys();
  static int callback(SSL* ssl, unsigned char* key_name, unsigned char* iv, EVP_CIPHER_CTX* cipher,
                      EVP_MAC_CTX* mac, int encrypt);

  std::atomic<std::shared_ptr<const KeySet>> keys_;
};

}  // namespace espd::certs
