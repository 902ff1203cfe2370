// The TLS side of one listener: its certificates, SNI selection, ALPN and the TLS posture.
#include "certs/server_tls_context.h"

#include <openssl/err.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "certs/hostname_match.h"
#include "certs/session_ticket_keys.h"
#include "certs/socket_bio.h"
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
  // No SSL_MODE_RELEASE_BUFFERS: idle connections release them (Transport::release_buffers).
  SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
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

namespace {

// Certificates for exactly the same names (case-insensitive) can share an SSL_CTX.
bool same_names(const LoadedCertificate& a, const LoadedCertificate& b) {
  auto normalized = [](const LoadedCertificate& c) {
    std::vector<std::string> names = c.names;
    names.insert(names.end(), c.ip_names.begin(), c.ip_names.end());
    for (std::string& name : names) {
      for (char& ch : name)
        ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    }
    std::sort(names.begin(), names.end());
    return names;
  };
  return normalized(a) == normalized(b);
}

}  // namespace

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
    std::string where = pointer + "/certificates/" + std::to_string(i);
    if (!config.certificates.count(name)) {  // reported by the validator
      failed = true;
      continue;
    }
    auto certificate = load_certificate(config, name, diagnostics);
    if (!certificate) {
      failed = true;
      continue;
    }
    // Join the group of a certificate with the same names and another key type, if any.
    size_t group = context->groups_.size();
    for (size_t g = 0; g < context->groups_.size(); ++g) {
      const auto& members = context->groups_[g].certificates;
      bool type_taken = std::any_of(members.begin(), members.end(), [&](const auto& member) {
        return member->key_type == certificate->key_type;
      });
      if (!type_taken && same_names(*members.front(), *certificate)) group = g;
    }
    if (group == context->groups_.size()) {
      std::string error;
      SslCtxPtr ctx = make_ctx(tls, error);
      if (!ctx) {
        diagnostics.error(file, where, error);
        failed = true;
        continue;
      }
      SSL_CTX_set_tlsext_servername_callback(ctx.get(), &ServerTlsContext::on_server_name);
      SSL_CTX_set_tlsext_servername_arg(ctx.get(), context.get());
      SSL_CTX_set_alpn_select_cb(ctx.get(), &ServerTlsContext::on_alpn, context.get());
      SSL_CTX_set_tlsext_status_cb(ctx.get(), &ServerTlsContext::on_status_request);
      SSL_CTX_set_tlsext_status_arg(ctx.get(), context.get());
      context->groups_.push_back(Group{std::move(ctx), {}});
    }
    SSL_CTX* ctx = context->groups_[group].ctx.get();
    if (SSL_CTX_use_cert_and_key(ctx, certificate->leaf.get(), certificate->key.get(),
                                 certificate->chain.get(), 1) != 1) {
      diagnostics.error(
          file, where,
          "certificate \"" + name + "\" cannot be used: " + net::drain_openssl_errors());
      failed = true;
      continue;
    }
    context->groups_[group].certificates.push_back(certificate);
    context->entries_.push_back(Entry{std::move(certificate), group});
  }
  if (failed || context->groups_.empty()) return nullptr;
  return context;
}

SSL* ServerTlsContext::new_ssl(int fd) const {
  SSL* ssl = SSL_new(groups_.front().ctx.get());
  if (!ssl) return nullptr;
  if (!attach_socket(ssl, fd)) {
    SSL_free(ssl);
    return nullptr;
  }
  SSL_set_accept_state(ssl);
  return ssl;
}

SSL_CTX* ServerTlsContext::select(std::string_view server_name) const {
  if (!server_name.empty()) {
    for (const Group& group : groups_) {
      for (const auto& certificate : group.certificates) {
        if (certificate->covers(server_name)) return group.ctx.get();
      }
    }
  }
  return groups_.front().ctx.get();
}

int ServerTlsContext::on_server_name(SSL* ssl, int*, void* arg) {
  auto* context = static_cast<ServerTlsContext*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  if (!name) return SSL_TLSEXT_ERR_NOACK;
  SSL_CTX* ctx = context->select(name);
  if (ctx != SSL_get_SSL_CTX(ssl)) SSL_set_SSL_CTX(ssl, ctx);
  return SSL_TLSEXT_ERR_OK;
}

int ServerTlsContext::on_status_request(SSL* ssl, void* arg) {
  auto* context = static_cast<ServerTlsContext*>(arg);
  X509* served = SSL_get_certificate(ssl);  // the certificate chosen for this handshake
  for (const Entry& entry : context->entries_) {
    const std::string& der = entry.certificate->ocsp_der;
    if (entry.certificate->leaf.get() != served || der.empty()) continue;
    // OpenSSL takes ownership of the buffer it is given.
    auto* copy = static_cast<unsigned char*>(OPENSSL_malloc(der.size()));
    if (!copy) return SSL_TLSEXT_ERR_NOACK;
    std::memcpy(copy, der.data(), der.size());
    SSL_set_tlsext_status_ocsp_resp(ssl, copy, static_cast<long>(der.size()));
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_NOACK;
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
