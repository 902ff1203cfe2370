// The TLS client side toward the real servers of a pool: trust, verification, client certificate.
#pragma once

#include <memory>
#include <string>

#include "certs/certificate_loader.h"
#include "certs/openssl_ptr.h"
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
  // `verify_name` (a DNS name or an IP literal).
  SSL* new_ssl(int fd, const std::string& verify_name) const;

 private:
  UpstreamTlsContext() = default;
  SslCtxPtr ctx_;
};

}  // namespace espd::certs
