// Checks of a certificate chain at load.
#include "certs/certificate_chain.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509_vfy.h>

#include "certs/openssl_ptr.h"
#include "proxy/net/transport.h"

namespace espd::certs {
namespace {

std::string name_line(X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253);
  char* data = nullptr;
  long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(length));
}

}  // namespace

std::string subject_line(X509* certificate) {
  return name_line(X509_get_subject_name(certificate));
}

std::string issuer_line(X509* certificate) {
  return name_line(X509_get_issuer_name(certificate));
}

std::string sha256_fingerprint(X509* certificate) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  X509_digest(certificate, EVP_sha256(), digest, &length);
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    if (i) out.push_back(':');
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 15]);
  }
  return out;
}

std::string check_chain_order(X509* leaf, STACK_OF(X509) * chain) {
  X509* subject = leaf;
  for (int i = 0; chain && i < sk_X509_num(chain); ++i) {
    X509* issuer = sk_X509_value(chain, i);
    if (X509_check_issued(issuer, subject) != X509_V_OK) {
      return "the chain is not in order: certificate " + std::to_string(i + 1) + " (" +
             subject_line(issuer) + ") did not issue \"" + subject_line(subject) +
             "\" (expected the issuer \"" + issuer_line(subject) + "\" there)";
    }
    subject = issuer;
  }
  return {};
}

std::string check_chain_complete(X509* leaf, STACK_OF(X509) * chain, const std::string& ca_path) {
  X509StorePtr store(X509_STORE_new());
  if (X509_STORE_load_file(store.get(), ca_path.c_str()) != 1) {
    return "cannot load CA certificates from " + ca_path + ": " + net::drain_openssl_errors();
  }
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> context(X509_STORE_CTX_new(),
                                                                          X509_STORE_CTX_free);
  if (X509_STORE_CTX_init(context.get(), store.get(), leaf, chain) != 1) {
    return "cannot verify: " + net::drain_openssl_errors();
  }
  if (X509_verify_cert(context.get()) == 1) return {};
  int error = X509_STORE_CTX_get_error(context.get());
  ERR_clear_error();
  std::string reason = X509_verify_cert_error_string(error);
  if (error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
      error == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT) {
    reason += " (an intermediate certificate is probably missing from the chain)";
  }
  return reason;
}

}  // namespace espd::certs
