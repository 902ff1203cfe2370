// The TLS side of one listener: its certificates, SNI selection, ALPN and the TLS posture.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "certs/certificate_loader.h"
#include "certs/openssl_ptr.h"
#include "proxy/config/config_model.h"
#include "proxy/config/diagnostic.h"

namespace espd::certs {

// TLS 1.2 and 1.3 only (or 1.3 only), AEAD suites with forward secrecy, server preference, no
// renegotiation, no compression, stateless session tickets with rotating keys.
//
// Certificates with the same names and different key types (an RSA and an ECDSA certificate for
// the same SAN list) share one SSL_CTX, where OpenSSL picks per handshake the one the client can
// use (its signature algorithms and, in TLS 1.2, its cipher suites). Each such group is one
// SSL_CTX; a handshake starts on the first group (clients without SNI get it) and switches to the
// first group whose names cover the SNI.
class ServerTlsContext {
 public:
  // Loads every certificate the listener names. Errors go to `diagnostics` (with `file` and the
  // JSON pointer `pointer` + "/certificates/<i>") and return null.
  static std::shared_ptr<ServerTlsContext> create(const config::Config& config,
                                                  const config::TlsListenerConfig& tls,
                                                  const std::string& file,
                                                  const std::string& pointer,
                                                  config::Diagnostics& diagnostics);
  ~ServerTlsContext();

  // A server-side SSL for an accepted socket, or null (OpenSSL out of memory).
  SSL* new_ssl(int fd) const;

  struct Entry {
    std::shared_ptr<LoadedCertificate> certificate;
    size_t group = 0;
  };
  // Every certificate of the listener, in configuration order.
  const std::vector<Entry>& entries() const { return entries_; }

  // The SSL_CTX serving `server_name` (SNI): the first group covering it, else the first group.
  SSL_CTX* select(std::string_view server_name) const;

 private:
  ServerTlsContext() = default;
  static int on_server_name(SSL* ssl, int* alert, void* arg);
  static int on_alpn(SSL* ssl, const unsigned char** out, unsigned char* out_length,
                     const unsigned char* in, unsigned in_length, void* arg);
  static int on_status_request(SSL* ssl, void* arg);

  struct Group {
    SslCtxPtr ctx;
    std::vector<std::shared_ptr<LoadedCertificate>> certificates;
  };

  std::vector<Entry> entries_;
  std::vector<Group> groups_;
  std::vector<unsigned char> alpn_;  // the configured protocols, wire format, preference order
};

// Negotiated ALPN protocol of a finished handshake ("" when none).
std::string negotiated_alpn(SSL* ssl);

}  // namespace espd::certs
