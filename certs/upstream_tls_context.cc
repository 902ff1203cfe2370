// The TLS client side toward the real servers of a pool.
#include "certs/upstream_tls_context.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <ctime>

#include "certs/socket_bio.h"
#include "proxy/net/socket_address.h"
#include "proxy/net/transport.h"

namespace espd::certs {

namespace {

// OpenSSL decodes a certificate's extensions lazily, on first use, and stores them under a lock
// that readers skip (openssl/openssl#25202): two workers (or a worker and the health checker)
// verifying real servers against the same CA at once race on it. Decoding them here, before the
// context is shared, leaves nothing to write later.
void cache_extensions(X509_STORE* store) {
  STACK_OF(X509_OBJECT)* objects = X509_STORE_get0_objects(store);
  for (int i = 0; i < sk_X509_OBJECT_num(objects); ++i) {
    if (X509* certificate = X509_OBJECT_get0_X509(sk_X509_OBJECT_value(objects, i))) {
      X509_check_purpose(certificate, -1, 0);
    }
  }
}

std::atomic<uint64_t> next_context_id{1};

// The SSL ex_data index under which a client SSL carries its UpstreamSessionSlot.
int session_slot_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

}  // namespace

UpstreamTlsContext::UpstreamTlsContext() : id_(next_context_id.fetch_add(1)) {}

// TLS 1.3 tickets arrive after the handshake (with the first response bytes), TLS 1.2 sessions at
// its end: OpenSSL hands both over here. Returning 1 keeps the reference.
int UpstreamTlsContext::on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* slot = static_cast<const UpstreamSessionSlot*>(SSL_get_ex_data(ssl, session_slot_index()));
  if (!slot || !slot->cache) return 0;  // health probes keep no session
  slot->cache->store(slot->key, session);
  return 1;
}

std::shared_ptr<UpstreamTlsContext> UpstreamTlsContext::create(
    const config::Config& config, const config::ReencryptConfig& reencrypt, const std::string& file,
    const std::string& pointer, config::Diagnostics& diagnostics) {
  std::shared_ptr<UpstreamTlsContext> context(new UpstreamTlsContext());
  context->ctx_.reset(SSL_CTX_new(TLS_client_method()));
  SSL_CTX* c = context->ctx_.get();
  if (!c) {
    diagnostics.error(file, pointer, "SSL_CTX_new failed: " + net::drain_openssl_errors());
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
  SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  // No SSL_MODE_RELEASE_BUFFERS: idle connections release them (Transport::release_buffers).
  SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_verify(c, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_read_ahead(c, 1);
  // Sessions are kept by each worker (UpstreamSessionCache), never inside OpenSSL's shared cache.
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(c, &UpstreamTlsContext::on_new_session);

  if (reencrypt.trust.empty()) {
    if (SSL_CTX_set_default_verify_paths(c) != 1) {
      diagnostics.error(file, pointer + "/trust",
                        "cannot load the system CA store: " + net::drain_openssl_errors());
      return nullptr;
    }
  } else if (!config.trust_stores.count(reencrypt.trust)) {
    return nullptr;  // reported by the validator
  } else {
    const config::TrustStoreConfig& trust = config.trust_stores.at(reencrypt.trust);
    const std::string trust_pointer = "/trust_stores/" + reencrypt.trust;
    std::string ca_path = config.resolve_path(trust.ca);
    if (SSL_CTX_load_verify_file(c, ca_path.c_str()) != 1) {
      diagnostics.error(
          trust.source_file, trust_pointer + "/ca",
          "cannot load CA certificates from " + ca_path + ": " + net::drain_openssl_errors());
      return nullptr;
    }
    // CRLs: a revoked real-server certificate fails verification like an untrusted one.
    X509_STORE* store = SSL_CTX_get_cert_store(c);
    for (size_t i = 0; i < trust.crl.size(); ++i) {
      std::string crl_path = config.resolve_path(trust.crl[i]);
      std::string text, error;
      if (!read_small_file(crl_path, text, error)) {
        diagnostics.error(trust.source_file, trust_pointer + "/crl/" + std::to_string(i), error);
        return nullptr;
      }
      BioPtr bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
      int loaded = 0;
      while (X509_CRL* crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr)) {
        X509_STORE_add_crl(store, crl);
        X509_CRL_free(crl);
        ++loaded;
      }
      ERR_clear_error();
      if (loaded == 0) {
        diagnostics.error(trust.source_file, trust_pointer + "/crl/" + std::to_string(i),
                          crl_path + " holds no PEM CRL");
        return nullptr;
      }
    }
    if (!trust.crl.empty()) X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
    cache_extensions(store);
  }

  if (!reencrypt.client_certificate.empty()) {
    if (!config.certificates.count(reencrypt.client_certificate)) return nullptr;  // reported
    auto certificate = load_certificate(config, reencrypt.client_certificate, diagnostics);
    if (!certificate) return nullptr;
    if (SSL_CTX_use_cert_and_key(c, certificate->leaf.get(), certificate->key.get(),
                                 certificate->chain.get(), 1) != 1) {
      diagnostics.error(
          file, pointer + "/client_certificate",
          "certificate \"" + reencrypt.client_certificate +
              "\" cannot be used as a client certificate: " + net::drain_openssl_errors());
      return nullptr;
    }
  }
  return context;
}

SSL* UpstreamTlsContext::new_ssl(int fd, const std::string& verify_name,
                                 const UpstreamSessionSlot* sessions) const {
  SSL* ssl = SSL_new(ctx_.get());
  if (!ssl) return nullptr;
  if (sessions && sessions->cache) {
    SSL_set_ex_data(ssl, session_slot_index(), const_cast<UpstreamSessionSlot*>(sessions));
    uint64_t now_s = static_cast<uint64_t>(std::time(nullptr));
    if (SSL_SESSION* session = sessions->cache->find(sessions->key, now_s)) {
      SSL_set_session(ssl, session);
    }
  }
  if (!attach_socket(ssl, fd)) {
    SSL_free(ssl);
    return nullptr;
  }
  SSL_set_connect_state(ssl);
  if (net::is_ip_literal(verify_name)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), verify_name.c_str());
  } else {
    SSL_set_tlsext_host_name(ssl, verify_name.c_str());
    SSL_set1_host(ssl, verify_name.c_str());
  }
  return ssl;
}

}  // namespace espd::certs
