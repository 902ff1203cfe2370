// Checks of a certificate chain at load: ordered (each certificate issued by the next), and, when a
// trust store is named, complete up to one of its CAs (the classic missing intermediate).
#pragma once

#include <openssl/x509.h>

#include <string>

namespace espd::certs {

// "" if every chain[i] issued the certificate before it (leaf, chain[0], ...); else what is wrong.
std::string check_chain_order(X509* leaf, STACK_OF(X509) * chain);

// "" if leaf + chain verify against the CA certificates in the PEM file `ca_path` (validity dates
// included); else the reason, e.g. "unable to get local issuer certificate".
std::string check_chain_complete(X509* leaf, STACK_OF(X509) * chain, const std::string& ca_path);

// One line naming a certificate: its subject.
std::string subject_line(X509* certificate);
std::string issuer_line(X509* certificate);
// "AB:CD:..." SHA-256 fingerprint.
std::string sha256_fingerprint(X509* certificate);

}  // namespace espd::certs
