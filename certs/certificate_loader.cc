// Loading a configured certificate (PEM files or PKCS#12) with its key and chain, and checking it.
#include "certs/certificate_loader.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/provider.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <arpa/inet.h>

#include "certs/certificate_chain.h"
#include "certs/hostname_match.h"
#include "certs/ocsp_staple.h"
#include "proxy/net/socket_address.h"
#include "proxy/net/transport.h"

namespace espd::certs {
namespace {

constexpr size_t kMaxFileBytes = 1 << 20;

std::string openssl_reason() {
  std::string text = net::drain_openssl_errors();
  return text.empty() ? "" : " (" + text + ")";
}

time_t asn1_to_time(const ASN1_TIME* t) {
  struct tm tm_value {};
  if (ASN1_TIME_to_tm(t, &tm_value) != 1) return 0;
  return timegm(&tm_value);
}

void collect_names(LoadedCertificate& certificate) {
  auto* sans = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate.leaf.get(), NID_subject_alt_name, nullptr, nullptr));
  if (sans) {
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
      const GENERAL_NAME* entry = sk_GENERAL_NAME_value(sans, i);
      if (entry->type == GEN_IPADD) {
        const ASN1_OCTET_STRING* ip = entry->d.iPAddress;
        char text[64] = {0};
        int length = ASN1_STRING_length(ip);
        inet_ntop(length == 4 ? AF_INET : AF_INET6, ASN1_STRING_get0_data(ip), text, sizeof(text));
        if (length == 4 || length == 16) certificate.ip_names.emplace_back(text);
        continue;
      }
      if (entry->type != GEN_DNS) continue;
      const ASN1_IA5STRING* dns = entry->d.dNSName;
      certificate.names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                                     ASN1_STRING_length(dns));
    }
    GENERAL_NAMES_free(sans);
  }
  if (!certificate.names.empty()) return;
  X509_NAME* subject = X509_get_subject_name(certificate.leaf.get());
  int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return;
  const ASN1_STRING* cn = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  certificate.names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(cn)),
                                 ASN1_STRING_length(cn));
}

// Encrypted PEM keys are refused: never let OpenSSL prompt on a terminal for a passphrase.
int no_password(char*, int, int, void*) {
  return 0;
}

bool names_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

// Reads every certificate and at most one private key from a PEM text.
bool read_pem(const std::string& text, std::vector<X509Ptr>& certificates, EvpPkeyPtr& key) {
  BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
  for (;;) {
    char* name = nullptr;
    char* header = nullptr;
    unsigned char* data = nullptr;
    long length = 0;
    if (PEM_read_bio(bio.get(), &name, &header, &data, &length) != 1) {
      ERR_clear_error();  // end of input
      break;
    }
    std::string block = name;
    const unsigned char* cursor = data;
    bool ok = true;
    if (block == "CERTIFICATE" || block == "TRUSTED CERTIFICATE") {
      X509* certificate = d2i_X509(nullptr, &cursor, length);
      if (certificate) {
        certificates.emplace_back(certificate);
      } else {
        ok = false;
      }
    } else if (block == "PRIVATE KEY" || block == "RSA PRIVATE KEY" || block == "EC PRIVATE KEY") {
      if (!key) {
        // Hand the block to the generic key reader so PKCS#8, RSA and EC forms are all handled.
        BioPtr one(BIO_new(BIO_s_mem()));
        PEM_write_bio(one.get(), name, header, data, length);
        key.reset(PEM_read_bio_PrivateKey(one.get(), nullptr, no_password, nullptr));
        if (!key) ok = false;
      }
    } else if (block == "ENCRYPTED PRIVATE KEY") {
      ok = false;
    }
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
    if (!ok) return false;
  }
  return true;
}

}  // namespace

OpenSslProviders::OpenSslProviders() {
  default_ = OSSL_PROVIDER_load(nullptr, "default");
  legacy_ = OSSL_PROVIDER_load(nullptr, "legacy");
  if (!legacy_) ERR_clear_error();  // legacy PKCS#12 files then fail to load, with that error
}

OpenSslProviders::~OpenSslProviders() {
  if (legacy_) OSSL_PROVIDER_unload(legacy_);
  if (default_) OSSL_PROVIDER_unload(default_);
}

bool read_small_file(const std::string& path, std::string& contents, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path + ": " + std::strerror(errno);
    return false;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  contents = buffer.str();
  if (contents.size() > kMaxFileBytes) {
    error = path + " is larger than 1 MiB";
    return false;
  }
  return true;
}

std::shared_ptr<LoadedCertificate> load_certificate(const config::Config& config,
                                                    const std::string& name,
                                                    config::Diagnostics& diagnostics) {
  const config::CertificateConfig& entry = config.certificates.at(name);
  const std::string& file = entry.source_file;
  const std::string pointer = "/certificates/" + name;
  auto result = std::make_shared<LoadedCertificate>();
  result->name = name;
  std::vector<X509Ptr> certificates;
  std::string error;
  ERR_clear_error();

  if (entry.is_pkcs12()) {
    std::string der, password;
    std::string path = config.resolve_path(entry.pkcs12);
    if (!read_small_file(path, der, error)) {
      diagnostics.error(file, pointer + "/pkcs12", error);
      return nullptr;
    }
    if (!entry.password_file.empty()) {
      std::string password_path = config.resolve_path(entry.password_file);
      if (!read_small_file(password_path, password, error)) {
        diagnostics.error(file, pointer + "/password_file", error);
        return nullptr;
      }
      // Tools and editors add one trailing newline; it is never part of the password.
      if (!password.empty() && password.back() == '\n') password.pop_back();
      if (!password.empty() && password.back() == '\r') password.pop_back();
    }
    const unsigned char* cursor = reinterpret_cast<const unsigned char*>(der.data());
    Pkcs12Ptr p12(d2i_PKCS12(nullptr, &cursor, static_cast<long>(der.size())));
    if (!p12) {
      diagnostics.error(file, pointer + "/pkcs12",
                        path + " is not a PKCS#12 file" + openssl_reason());
      return nullptr;
    }
    EVP_PKEY* key = nullptr;
    X509* leaf = nullptr;
    STACK_OF(X509)* ca = nullptr;
    if (PKCS12_parse(p12.get(), password.c_str(), &key, &leaf, &ca) != 1) {
      diagnostics.error(file, pointer + "/pkcs12",
                        "cannot decrypt " + path + ": wrong password or unsupported encryption" +
                            openssl_reason());
      return nullptr;
    }
    result->key.reset(key);
    if (!leaf) {
      sk_X509_pop_free(ca, X509_free);
      diagnostics.error(file, pointer + "/pkcs12", path + " holds no certificate");
      return nullptr;
    }
    certificates.emplace_back(leaf);
    // PKCS12_parse returns the CA certificates in file order; keep it.
    for (int i = 0; ca && i < sk_X509_num(ca); ++i)
      certificates.emplace_back(sk_X509_value(ca, i));
    if (ca) sk_X509_free(ca);
    if (!result->key) {
      diagnostics.error(file, pointer + "/pkcs12", path + " holds no private key");
      return nullptr;
    }
  } else {
    std::string text;
    std::string cert_path = config.resolve_path(entry.cert);
    if (!read_small_file(cert_path, text, error)) {
      diagnostics.error(file, pointer + "/cert", error);
      return nullptr;
    }
    if (!read_pem(text, certificates, result->key) || certificates.empty()) {
      diagnostics.error(file, pointer + "/cert",
                        cert_path + " holds no readable PEM certificate" + openssl_reason());
      return nullptr;
    }
    if (!entry.key.empty()) {
      std::string key_path = config.resolve_path(entry.key);
      std::string key_text;
      std::vector<X509Ptr> ignored;
      EvpPkeyPtr key;
      if (!read_small_file(key_path, key_text, error)) {
        diagnostics.error(file, pointer + "/key", error);
        return nullptr;
      }
      if (!read_pem(key_text, ignored, key) || !key) {
        diagnostics.error(
            file, pointer + "/key",
            key_path + " holds no readable unencrypted PEM private key" + openssl_reason());
        return nullptr;
      }
      result->key = std::move(key);
    }
    if (!result->key) {
      diagnostics.error(file, pointer + "/key",
                        "no private key: " + cert_path + " holds none and \"key\" is not set");
      return nullptr;
    }
    if (!entry.chain.empty()) {
      std::string chain_path = config.resolve_path(entry.chain);
      std::string chain_text;
      EvpPkeyPtr unused;
      size_t before = certificates.size();
      if (!read_small_file(chain_path, chain_text, error)) {
        diagnostics.error(file, pointer + "/chain", error);
        return nullptr;
      }
      if (!read_pem(chain_text, certificates, unused) || certificates.size() == before) {
        diagnostics.error(file, pointer + "/chain",
                          chain_path + " holds no readable PEM certificate" + openssl_reason());
        return nullptr;
      }
    }
  }

  result->leaf = std::move(certificates.front());
  result->chain.reset(sk_X509_new_null());
  for (size_t i = 1; i < certificates.size(); ++i) {
    sk_X509_push(result->chain.get(), certificates[i].release());
  }
  std::string where =
      entry.is_pkcs12() ? config.resolve_path(entry.pkcs12) : config.resolve_path(entry.cert);
  std::string key_pointer =
      pointer + (entry.is_pkcs12() ? "/pkcs12" : (entry.key.empty() ? "/cert" : "/key"));
  if (X509_check_private_key(result->leaf.get(), result->key.get()) != 1) {
    ERR_clear_error();
    diagnostics.error(file, key_pointer,
                      "the private key does not match the certificate in " + where);
    return nullptr;
  }
  const char* type = EVP_PKEY_get0_type_name(result->key.get());
  result->key_type = type ? type : "unknown";  // "RSA", "EC", "ED25519", ...
  result->not_before = asn1_to_time(X509_get0_notBefore(result->leaf.get()));
  result->not_after = asn1_to_time(X509_get0_notAfter(result->leaf.get()));
  time_t now = time(nullptr);
  if (now < result->not_before) {
    diagnostics.error(file, pointer, "the certificate in " + where + " is not valid yet");
    return nullptr;
  }
  if (now > result->not_after) {
    diagnostics.error(file, pointer, "the certificate in " + where + " has expired");
    return nullptr;
  }
  collect_names(*result);
  result->subject = subject_line(result->leaf.get());
  result->issuer = issuer_line(result->leaf.get());
  result->fingerprint = sha256_fingerprint(result->leaf.get());

  std::string problem = check_chain_order(result->leaf.get(), result->chain.get());
  if (!problem.empty()) {
    diagnostics.error(file, pointer, where + ": " + problem);
    return nullptr;
  }
  if (!entry.trust.empty() && config.trust_stores.count(entry.trust)) {
    const config::TrustStoreConfig& trust = config.trust_stores.at(entry.trust);
    problem = check_chain_complete(result->leaf.get(), result->chain.get(),
                                   config.resolve_path(trust.ca));
    if (!problem.empty()) {
      diagnostics.error(file, pointer + "/trust",
                        "the chain of " + where + " does not reach a CA of trust store \"" +
                            entry.trust + "\": " + problem);
      return nullptr;
    }
  }
  if (!entry.ocsp_response.empty()) {
    if (!has_ocsp_responder(result->leaf.get())) {
      diagnostics.warning(file, pointer + "/ocsp_response",
                          "the certificate names no OCSP responder: the response is not stapled");
    } else {
      X509* issuer =
          sk_X509_num(result->chain.get()) > 0 ? sk_X509_value(result->chain.get(), 0) : nullptr;
      problem = load_ocsp_response(config.resolve_path(entry.ocsp_response), result->leaf.get(),
                                   issuer, result->ocsp_der);
      if (!problem.empty()) {
        diagnostics.error(file, pointer + "/ocsp_response", problem);
        return nullptr;
      }
    }
  }
  return result;
}

bool LoadedCertificate::covers(std::string_view host) const {
  if (net::is_ip_literal(host)) {
    for (const std::string& ip : ip_names) {
      if (ip == host) return true;
    }
    return false;
  }
  bool wildcard = host.size() > 2 && host[0] == '*' && host[1] == '.';
  for (const std::string& name : names) {
    // A wildcard host is covered only by the same wildcard: it stands for any label.
    if (wildcard ? names_equal(name, host) : certificate_name_matches(name, host)) return true;
  }
  return false;
}

}  // namespace espd::certs
