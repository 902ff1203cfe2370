// The TLS client side toward the real servers of a pool: trust, verification, client certificate.
#pragma once

#include <memory>
#include <string>

#include "certs/certificate_loader.h"
#include "certs/openssl_ptr.h"
#include "certs/upstream_session_cache.h"
#include "proxy/config/config_model.h"
#include "proxy/config/diagnostic.h"

namespace espd::certs {

// Real-server certificates are always verified: chain to the pool's trust store (or the system
// store when none is named) and name (reencrypt.server_name, else the real server's address).
class UpstreamTlsContext {
 public:
  static std::shared_ptr<UpstreamTlsContext> create(const config::Config& config,
                                                    const config::ReencryptConfig& reencrypt,
                                                    const std::string& file,
                                                    const std::string& pointer,
                                                    config::Diagnostics& diagnostics);

  // A client SSL on a connected socket, sending SNI (for a host name) and verifying
  // `verify_name` (a DNS name or an IP literal). With `sessions`, the session cached for its key
  // is offered (resumption) and the sessions the server issues on this SSL are stored there;
  // `sessions` must outlive the SSL and its key must name this context and `verify_name`.
  SSL* new_ssl(int fd, const std::string& verify_name,
               const UpstreamSessionSlot* sessions = nullptr) const;

  // Unique for the life of the process (never reused, unlike the address): keys cached sessions.
  uint64_t id() const { return id_; }

 private:
  UpstreamTlsContext();
  static int on_new_session(SSL* ssl, SSL_SESSION* session);

  SslCtxPtr ctx_;
  uint64_t id_;
};

}  // namespace espd::certs
