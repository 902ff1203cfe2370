// OCSP stapling for front certificates: a DER OCSP response supplied by the administrator (espd
// does not fetch one), checked at load and sent to clients that ask for it.
#pragma once

#include <openssl/x509.h>

#include <string>

namespace espd::certs {

// Reads and checks `path` as the OCSP response for `leaf` (issued by `issuer`): a successful
// response, with a status for this certificate, "good", and not past its nextUpdate.
// On success fills `der` and returns ""; else returns the problem.
std::string load_ocsp_response(const std::string& path, X509* leaf, X509* issuer, std::string& der);

// Whether the certificate names an OCSP responder (Authority Information Access).
bool has_ocsp_responder(X509* certificate);

}  // namespace espd::certs
