// Unit tests for espd's socket BIO: real TLS between two SSL objects over a loopback TCP
// connection, each case run with espd's BIO and with OpenSSL's socket BIO (SSL_set_fd), which
// must behave the same.
#include "certs/socket_bio.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "tests/unit/loopback_listener.h"

#include <cerrno>
#include <csignal>
#include <string>
#include <tuple>
#include <utility>

namespace {

enum class Attach { kEspdBio, kOpensslSocketBio };

const char* name_of(Attach attach) {
  return attach == Attach::kEspdBio ? "espd socket BIO" : "OpenSSL socket BIO";
}

// A self-signed P-256 certificate and key for the server side.
struct SelfSigned {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* certificate = X509_new();
  SelfSigned() {
    ASN1_INTEGER_set(X509_get_serialNumber(certificate), 1);
    X509_gmtime_adj(X509_getm_notBefore(certificate), -60);
    X509_gmtime_adj(X509_getm_notAfter(certificate), 3600);
    X509_set_pubkey(certificate, key);
    X509_NAME* name = X509_get_subject_name(certificate);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("bio.test"), -1, -1, 0);
    X509_set_issuer_name(certificate, name);
    X509_sign(certificate, key, EVP_sha256());
  }
  ~SelfSigned() {
    X509_free(certificate);
    EVP_PKEY_free(key);
  }
};

void set_nonblocking(int fd) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// A connected pair of non-blocking TCP sockets on 127.0.0.1.
std::pair<int, int> tcp_pair() {
  int port = 0;
  int listener = espd::testing::listen_on_free_loopback_port(false, port);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<uint16_t>(port));
  int client = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(connect(client, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  int server = accept(listener, nullptr, nullptr);
  REQUIRE(server >= 0);
  close(listener);
  set_nonblocking(client);
  set_nonblocking(server);
  return {client, server};
}

// A client and a server SSL over a loopback connection, both attached the same way.
struct TlsPair {
  SelfSigned identity;
  SSL_CTX* server_ctx = SSL_CTX_new(TLS_server_method());
  SSL_CTX* client_ctx = SSL_CTX_new(TLS_client_method());
  int client_fd = -1;
  int server_fd = -1;
  SSL* client = nullptr;
  SSL* server = nullptr;

  explicit TlsPair(Attach attach) {
    REQUIRE(SSL_CTX_use_certificate(server_ctx, identity.certificate) == 1);
    REQUIRE(SSL_CTX_use_PrivateKey(server_ctx, identity.key) == 1);
    SSL_CTX_set_verify(client_ctx, SSL_VERIFY_NONE, nullptr);
    std::tie(client_fd, server_fd) = tcp_pair();
    client = SSL_new(client_ctx);
    server = SSL_new(server_ctx);
    if (attach == Attach::kEspdBio) {
      REQUIRE(espd::certs::attach_socket(client, client_fd));
      REQUIRE(espd::certs::attach_socket(server, server_fd));
    } else {
      SSL_set_fd(client, client_fd);
      SSL_set_fd(server, server_fd);
    }
    SSL_set_connect_state(client);
    SSL_set_accept_state(server);
  }
  ~TlsPair() {
    SSL_free(client);
    SSL_free(server);
    SSL_CTX_free(client_ctx);
    SSL_CTX_free(server_ctx);
    if (client_fd >= 0) close(client_fd);
    if (server_fd >= 0) close(server_fd);
    ERR_clear_error();
  }

  // Both sides step the handshake in turn; on loopback each flight is there at once.
  bool handshake() {
    bool client_done = false, server_done = false;
    for (int turn = 0; turn < 20 && !(client_done && server_done); ++turn) {
      if (!step(client, client_done) || !step(server, server_done)) return false;
    }
    return client_done && server_done;
  }

  // One handshake step of `ssl` unless it is done; false on anything but "wait for the peer".
  static bool step(SSL* ssl, bool& done) {
    if (done) return true;
    int ret = SSL_do_handshake(ssl);
    done = ret == 1;
    return done || SSL_get_error(ssl, ret) == SSL_ERROR_WANT_READ;
  }
};

// What one SSL_read_ex said: 1 and the bytes, or 0 and SSL_get_error.
struct ReadOutcome {
  int ret;
  int error;
  std::string bytes;
};

ReadOutcome read_once(SSL* ssl) {
  char buffer[4096];
  size_t got = 0;
  errno = 0;
  int ret = SSL_read_ex(ssl, buffer, sizeof(buffer), &got);
  return {ret, ret == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl, ret), std::string(buffer, got)};
}

// Sends `data` from `from` to `to` through the non-blocking sockets, alternating between writing
// until the socket is full and reading until it is empty, waiting for the reading socket when
// neither side can go on (a window update can be delayed); returns what `to` read.
std::string transfer(SSL* from, SSL* to, int to_fd, const std::string& data) {
  std::string received;
  size_t sent = 0;
  while (received.size() < data.size()) {
    size_t before = sent + received.size();
    while (sent < data.size()) {
      size_t written = 0;
      if (SSL_write_ex(from, data.data() + sent, data.size() - sent, &written) != 1) {
        REQUIRE(SSL_get_error(from, 0) == SSL_ERROR_WANT_WRITE);
        break;
      }
      sent += written;
    }
    for (;;) {
      ReadOutcome outcome = read_once(to);
      if (outcome.ret != 1) {
        REQUIRE(outcome.error == SSL_ERROR_WANT_READ);
        break;
      }
      received += outcome.bytes;
    }
    if (sent + received.size() == before) {
      pollfd readable{to_fd, POLLIN, 0};
      REQUIRE(poll(&readable, 1, 5000) == 1);  // bounded: nothing arriving is a failure
    }
  }
  return received;
}

}  // namespace

TEST_CASE("TLS over the socket BIO: handshake, data both ways, and the socket it names") {
  for (Attach attach : {Attach::kEspdBio, Attach::kOpensslSocketBio}) {
    INFO(name_of(attach));
    TlsPair pair(attach);
    REQUIRE(pair.handshake());
    CHECK(SSL_get_fd(pair.client) == pair.client_fd);
    CHECK(SSL_get_fd(pair.server) == pair.server_fd);
    // Nothing sent yet: a read asks to wait for readability.
    CHECK(read_once(pair.server).error == SSL_ERROR_WANT_READ);
    // More than the socket buffers hold, so that writes also have to wait for writability.
    std::string upload(4 * 1024 * 1024, '\0');
    for (size_t i = 0; i < upload.size(); ++i)
      upload[i] = static_cast<char>(i * 131 + (i >> 12));
    std::string uploaded = transfer(pair.client, pair.server, pair.server_fd, upload);
    CHECK(uploaded.size() == upload.size());
    CHECK((uploaded == upload));  // (not printed: megabytes)
    std::string answer(70000, 'a');
    std::string answered = transfer(pair.server, pair.client, pair.client_fd, answer);
    CHECK(answered.size() == answer.size());
    CHECK((answered == answer));
  }
}

TEST_CASE(
    "the socket BIO reports a peer's close_notify and a TCP end without it as OpenSSL's does") {
  int close_notify[2], bare_end[2];
  for (Attach attach : {Attach::kEspdBio, Attach::kOpensslSocketBio}) {
    INFO(name_of(attach));
    int index = attach == Attach::kEspdBio ? 0 : 1;
    {
      TlsPair pair(attach);
      REQUIRE(pair.handshake());
      REQUIRE(SSL_shutdown(pair.client) == 0);  // close_notify sent, the peer's not yet seen
      close_notify[index] = read_once(pair.server).error;
    }
    {
      TlsPair pair(attach);
      REQUIRE(pair.handshake());
      shutdown(pair.client_fd, SHUT_WR);  // FIN, no close_notify: a truncation
      ReadOutcome outcome = read_once(pair.server);
      bare_end[index] = outcome.error;
      CHECK(outcome.ret == 0);
    }
  }
  CHECK(close_notify[0] == SSL_ERROR_ZERO_RETURN);
  CHECK(close_notify[0] == close_notify[1]);
  CHECK(bare_end[0] != SSL_ERROR_ZERO_RETURN);
  CHECK(bare_end[0] != SSL_ERROR_WANT_READ);
  CHECK(bare_end[0] == bare_end[1]);
}

TEST_CASE("writing to a connection the peer has closed fails with EPIPE and raises no SIGPIPE") {
  // With the default disposition a SIGPIPE would end this test binary: send() must not raise it.
  struct sigaction previous {};
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigaction(SIGPIPE, &default_action, &previous);
  {
    TlsPair pair(Attach::kEspdBio);
    REQUIRE(pair.handshake());
    close(pair.server_fd);
    pair.server_fd = -1;
    std::string data(64 * 1024, 'x');
    int error = SSL_ERROR_NONE;
    int saved_errno = 0;
    // The first write can still be accepted by the kernel; the reset makes a later one fail.
    for (int attempt = 0; attempt < 100 && error == SSL_ERROR_NONE; ++attempt) {
      size_t written = 0;
      errno = 0;
      if (SSL_write_ex(pair.client, data.data(), data.size(), &written) != 1) {
        saved_errno = errno;
        error = SSL_get_error(pair.client, 0);
      }
    }
    CHECK(error == SSL_ERROR_SYSCALL);
    CHECK((saved_errno == EPIPE || saved_errno == ECONNRESET));
  }
  sigaction(SIGPIPE, &previous, nullptr);
}
