// Loading a configured certificate (PEM files or PKCS#12) with its key and chain, and checking it.
#pragma once

#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include <openssl/provider.h>

#include "certs/openssl_ptr.h"
#include "proxy/config/config_model.h"
#include "proxy/config/diagnostic.h"

namespace espd::certs {

struct LoadedCertificate {
  std::string name;  // the configuration's name for it
  X509Ptr leaf;
  EvpPkeyPtr key;
  X509StackPtr chain;                 // intermediates, leaf's issuer first
  std::vector<std::string> names;     // DNS SANs, or the CN when there is no DNS SAN
  std::vector<std::string> ip_names;  // IP address SANs, as text
  std::string key_type;               // "RSA", "EC", ...
  std::string subject;
  std::string issuer;
  std::string fingerprint;  // SHA-256
  std::string ocsp_der;     // a checked OCSP response to staple, or empty
  time_t not_before = 0;
  time_t not_after = 0;

  // Whether this certificate's names cover `host` (a name, "*.suffix" pattern, or IP literal).
  bool covers(std::string_view host) const;
};

// Loads /certificates/<name>. Every problem becomes an error naming the file and JSON pointer:
// unreadable file, no certificate in it, no or undecryptable key, a key that does not match the
// certificate, a wrong PKCS#12 password, a certificate not yet valid or expired.
std::shared_ptr<LoadedCertificate> load_certificate(const config::Config& config,
                                                    const std::string& name,
                                                    config::Diagnostics& diagnostics);

// Makes the OpenSSL "legacy" provider available (RC2/3DES PKCS#12 files exported from Windows)
// next to the default provider, for the lifetime of this object (one, in main()).
class OpenSslProviders {
 public:
  OpenSslProviders();
  ~OpenSslProviders();
  OpenSslProviders(const OpenSslProviders&) = delete;
  OpenSslProviders& operator=(const OpenSslProviders&) = delete;

 private:
  OSSL_PROVIDER* default_ = nullptr;
  OSSL_PROVIDER* legacy_ = nullptr;
};

// Reads a whole (small) file; false with `error` set on failure.
bool read_small_file(const std::string& path, std::string& contents, std::string& error);

}  // namespace espd::certs
