// The TLS side of one listener: its certificates, SNI selection, ALPN and the TLS posture.
#include "certs/server_tls_context.h"

#include <openssl/err.h>

#include <cstring>

#include "certs/hostname_match.h"
#include "certs/session_ticket_keys.h"
#include "proxy/net/transport.h"

namespace espd::certs {
namespace {

// TLS 1.2: ECDHE only (forward secrecy), AEAD only. TLS 1.3 suites are all AEAD.
constexpr char kTls12Ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr char kTls13Suites[] =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr char kGroups[] = "X25519:P-256:P-384";

SslCtxPtr make_ctx(const config::TlsListenerConfig& tls, std::string& error) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx) {
    error = "SSL_CTX_new failed: " + net::drain_openssl_errors();
    return nullptr;
  }
  SSL_CTX* c = ctx.get();
  SSL_CTX_set_min_proto_version(c, tls.min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(c, TLS1_3_VERSION);
  SSL_CTX_set_options(c, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
                             SSL_OP_NO_COMPRESSION | SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_mode(c, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                          SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  if (SSL_CTX_set_cipher_list(c, kTls12Ciphers) != 1 ||
      SSL_CTX_set_ciphersuites(c, kTls13Suites) != 1 || SSL_CTX_set1_groups_list(c, kGroups) != 1) {
    error = "cannot set the cipher policy: " + net::drain_openssl_errors();
    return nullptr;
  }
  // Stateless resumption only: tickets under rotating keys, no server-side session cache.
  SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_timeout(c, static_cast<long>(tls.session_ticket_rotation_s) * 2);
  SSL_CTX_set_num_tickets(c, 1);
  SessionTicketKeys::install(c);
  SSL_CTX_set_read_ahead(c, 1);
  return ctx;
}

}  // namespace

ServerTlsContext::~ServerTlsContext() = default;

std::shared_ptr<ServerTlsContext> ServerTlsContext::create(const config::Config& config,
                                                           const config::TlsListenerConfig& tls,
                                                           const std::string& file,
                                                           const std::string& pointer,
                                                           config::Diagnostics& diagnostics) {
  std::shared_ptr<ServerTlsContext> context(new ServerTlsContext());
  for (const std::string& protocol : tls.alpn) {
    context->alpn_.push_back(static_cast<unsigned char>(protocol.size()));
    context->alpn_.insert(context->alpn_.end(), protocol.begin(), protocol.end());
  }
  bool failed = false;
  for (size_t i = 0; i < tls.certificates.size(); ++i) {
    const std::string& name = tls.certificates[i];
    if (!config.certificates.count(name)) {  // reported by the validator
      failed = true;
      continue;
    }
    auto certificate = load_certificate(config, name, diagnostics);
    if (!certificate) {
      failed = true;
      continue;
    }
    std::string error;
    SslCtxPtr ctx = make_ctx(tls, error);
    if (!ctx) {
      diagnostics.error(file, pointer + "/certificates/" + std::to_string(i), error);
      failed = true;
      continue;
    }
    if (SSL_CTX_use_certificate(ctx.get(), certificate->leaf.get()) != 1 ||
        SSL_CTX_use_PrivateKey(ctx.get(), certificate->key.get()) != 1 ||
        SSL_CTX_set1_chain(ctx.get(), certificate->chain.get()) != 1) {
      diagnostics.error(
          file, pointer + "/certificates/" + std::to_string(i),
          "certificate \"" + name + "\" cannot be used: " + net::drain_openssl_errors());
      failed = true;
      continue;
    }
    SSL_CTX_set_tlsext_servername_callback(ctx.get(), &ServerTlsContext::on_server_name);
    SSL_CTX_set_tlsext_servername_arg(ctx.get(), context.get());
    SSL_CTX_set_alpn_select_cb(ctx.get(), &ServerTlsContext::on_alpn, context.get());
    context->entries_.push_back({std::move(certificate), std::move(ctx)});
  }
  if (failed || context->entries_.empty()) return nullptr;
  return context;
}

SSL* ServerTlsContext::new_ssl(int fd) const {
  SSL* ssl = SSL_new(entries_.front().ctx.get());
  if (!ssl) return nullptr;
  SSL_set_fd(ssl, fd);
  SSL_set_accept_state(ssl);
  return ssl;
}

const ServerTlsContext::Entry& ServerTlsContext::select(std::string_view server_name) const {
  if (!server_name.empty()) {
    for (const Entry& entry : entries_) {
      for (const std::string& pattern : entry.certificate->names) {
        if (certificate_name_matches(pattern, server_name)) return entry;
      }
    }
  }
  return entries_.front();
}

int ServerTlsContext::on_server_name(SSL* ssl, int*, void* arg) {
  auto* context = static_cast<ServerTlsContext*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (!name) return SSL_TLSEXT_ERR_NOACK;
  const Entry& entry = context->select(name);
  if (entry.ctx.get() != SSL_get_SSL_CTX(ssl)) SSL_set_SSL_CTX(ssl, entry.ctx.get());
  return SSL_TLSEXT_ERR_OK;
}

int ServerTlsContext::on_alpn(SSL*, const unsigned char** out, unsigned char* out_length,
                              const unsigned char* in, unsigned in_length, void* arg) {
  auto* context = static_cast<ServerTlsContext*>(arg);
  // Server preference: the first configured protocol the client also offers.
  for (size_t i = 0; i < context->alpn_.size();) {
    unsigned char length = context->alpn_[i];
    const unsigned char* ours = &context->alpn_[i + 1];
    for (unsigned j = 0; j < in_length;) {
      unsigned char theirs_length = in[j];
      if (j + 1 + theirs_length > in_length) break;
      if (theirs_length == length && std::memcmp(in + j + 1, ours, length) == 0) {
        *out = in + j + 1;
        *out_length = theirs_length;
        return SSL_TLSEXT_ERR_OK;
      }
      j += 1 + theirs_length;
    }
    i += 1 + length;
  }
  // No common protocol: go on without ALPN (HTTP/1.1), as most servers do.
  return SSL_TLSEXT_ERR_NOACK;
}

std::string negotiated_alpn(SSL* ssl) {
  const unsigned char* data = nullptr;
  unsigned length = 0;
  SSL_get0_alpn_selected(ssl, &data, &length);
  return data ? std::string(reinterpret_cast<const char*>(data), length) : std::string();
}

}  // namespace espd::certs
