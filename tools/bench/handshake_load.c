// Full-TLS-handshake load generator for tools/bench: keeps C connections busy, each one doing
// connect, a full handshake, one HTTP/1.1 request ("Connection: close"), the response, close.
//
// Why a program of our own: wrk and h2load keep connections open, and `openssl s_time -new`
// is sequential, sends no SNI and no Host header (every ESP-style proxy answers 403). Here:
//   - no session is ever offered (client session cache off, SSL_OP_NO_TICKET, no
//     SSL_set_session), and every handshake is checked with SSL_session_reused() == 0;
//   - the client's signature algorithms choose which of the proxy's two front certificates it
//     serves (ECDSA P-256 or RSA 2048), and the key type of the certificate received is checked;
//   - the server certificate is not verified (the client's CPU is shared with the real servers:
//     verification would only make the load generator slower, it changes nothing for the proxy).
//
// Usage: handshake_load --connect 127.0.0.1:PORT --sni NAME --host HOST --path /1k
//                       --key ec|rsa --concurrency N --seconds S
// Prints one JSON object: completed, ok (2xx), status_other, errors, resumed, wrong_key, seconds.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum state { kConnecting, kHandshake, kWriting, kReading };

struct slot {
  int fd;
  SSL* ssl;
  enum state state;
  size_t request_off;
  char response[4096];
  size_t response_len;
  long content_length;  // -1 until the head is parsed
  size_t body_received;
};

static struct {
  struct sockaddr_in address;
  const char* sni;
  char request[512];
  size_t request_len;
  int want_key;  // EVP_PKEY_EC or EVP_PKEY_RSA
  long completed, ok, status_other, errors, resumed, wrong_key;
  char first_error[256];
} g;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void note_error(const char* what) {
  g.errors++;
  if (g.first_error[0]) return;
  unsigned long code = ERR_peek_error();
  char detail[160] = "";
  if (code) ERR_error_string_n(code, detail, sizeof(detail));
  snprintf(g.first_error, sizeof(g.first_error), "%s%s%s", what, detail[0] ? ": " : "", detail);
  for (char* p = g.first_error; *p; ++p)
    if (*p == '"' || *p == '\\') *p = '\'';
}

static void slot_close(struct slot* s) {
  if (s->ssl) SSL_free(s->ssl);
  s->ssl = NULL;
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
  ERR_clear_error();
}

static int slot_open(int epoll_fd, SSL_CTX* ctx, struct slot* s) {
  s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s->fd < 0) return -1;
  int one = 1;
  setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  s->ssl = SSL_new(ctx);
  SSL_set_fd(s->ssl, s->fd);
  SSL_set_tlsext_host_name(s->ssl, g.sni);
  SSL_set_connect_state(s->ssl);
  s->state = kConnecting;
  s->request_off = 0;
  s->response_len = 0;
  s->content_length = -1;
  s->body_received = 0;
  if (connect(s->fd, (struct sockaddr*)&g.address, sizeof(g.address)) < 0 && errno != EINPROGRESS) {
    note_error("connect");
    slot_close(s);
    return -1;
  }
  struct epoll_event ev = {.events = EPOLLOUT | EPOLLIN, .data.ptr = s};
  epoll_ctl(epoll_fd, EPOLL_CTL_ADD, s->fd, &ev);
  return 0;
}

// Once the head is complete: counts the status, takes Content-Length and the body bytes that
// came with the head.
static void parse_head(struct slot* s) {
  char* end = memmem(s->response, s->response_len, "\r\n\r\n", 4);
  if (!end) return;
  size_t head_len = (size_t)(end - s->response) + 4;
  int status = atoi(s->response + 9);
  if (status >= 200 && status < 300) {
    g.ok++;
  } else {
    g.status_other++;
  }
  s->content_length = 0;
  for (char* line = s->response; line < end;) {
    char* next = memmem(line, (size_t)(end - line), "\r\n", 2);
    if (!next) break;
    if (strncasecmp(line, "content-length:", 15) == 0) s->content_length = atol(line + 15);
    line = next + 2;
  }
  s->body_received = s->response_len - head_len;
}

// Advances one connection as far as it can go. 1: finished (closed), 0: waiting.
static int step(struct slot* s) {
  for (;;) {
    int ret;
    switch (s->state) {
      case kConnecting:
      case kHandshake:
        s->state = kHandshake;
        ret = SSL_do_handshake(s->ssl);
        if (ret == 1) {
          if (SSL_session_reused(s->ssl)) g.resumed++;
          X509* peer = SSL_get0_peer_certificate(s->ssl);
          if (!peer || EVP_PKEY_get_base_id(X509_get0_pubkey(peer)) != g.want_key) g.wrong_key++;
          s->state = kWriting;
          continue;
        }
        break;
      case kWriting: {
        size_t written = 0;
        ret = SSL_write_ex(s->ssl, g.request + s->request_off, g.request_len - s->request_off,
                           &written);
        if (ret == 1) {
          s->request_off += written;
          if (s->request_off == g.request_len) s->state = kReading;
          continue;
        }
        break;
      }
      case kReading: {
        // The head is kept until it is parsed; body bytes are only counted.
        size_t got = 0;
        char* into = s->response + s->response_len;
        size_t room = sizeof(s->response) - s->response_len;
        if (s->content_length >= 0) {
          into = s->response;
          room = sizeof(s->response);
        } else if (room == 0) {
          note_error("response head larger than 4 KiB");
          slot_close(s);
          return 1;
        }
        ret = SSL_read_ex(s->ssl, into, room, &got);
        if (ret == 1) {
          if (s->content_length >= 0) {
            s->body_received += got;
          } else {
            s->response_len += got;
            parse_head(s);
          }
          if (s->content_length >= 0 && s->body_received >= (size_t)s->content_length) {
            g.completed++;
            slot_close(s);
            return 1;
          }
          continue;
        }
        break;
      }
    }
    int err = SSL_get_error(s->ssl, ret);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) return 0;
    note_error(s->state == kReading ? "read" : s->state == kWriting ? "write" : "handshake");
    slot_close(s);
    return 1;
  }
}

static const char* option(int argc, char** argv, const char* name, const char* fallback) {
  for (int i = 1; i + 1 < argc; i += 2)
    if (strcmp(argv[i], name) == 0) return argv[i + 1];
  if (!fallback) {
    fprintf(stderr, "handshake_load: missing %s\n", name);
    exit(2);
  }
  return fallback;
}

int main(int argc, char** argv) {
  const char* connect_to = option(argc, argv, "--connect", NULL);
  g.sni = option(argc, argv, "--sni", NULL);
  const char* host = option(argc, argv, "--host", g.sni);
  const char* path = option(argc, argv, "--path", "/");
  const char* key = option(argc, argv, "--key", NULL);
  int concurrency = atoi(option(argc, argv, "--concurrency", "32"));
  double seconds = atof(option(argc, argv, "--seconds", "10"));

  char address[64];
  snprintf(address, sizeof(address), "%s", connect_to);
  char* colon = strrchr(address, ':');
  if (!colon) return 2;
  *colon = 0;
  g.address.sin_family = AF_INET;
  g.address.sin_port = htons((uint16_t)atoi(colon + 1));
  if (inet_pton(AF_INET, address, &g.address.sin_addr) != 1) return 2;
  g.request_len = (size_t)snprintf(g.request, sizeof(g.request),
                                   "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: espd-bench\r\n"
                                   "Connection: close\r\n\r\n",
                                   path, host);

  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
  // Some servers (nghttpx) choose between ECDSA and RSA by the client's curves rather than its
  // signature algorithms: the RSA client offers X25519 only. The key exchange is X25519 in both
  // cases (every peer prefers it).
  const char* sigalgs;
  const char* groups;
  if (strcmp(key, "ec") == 0) {
    g.want_key = EVP_PKEY_EC;
    sigalgs = "ECDSA+SHA256:ECDSA+SHA384";
    groups = "X25519:P-256";
  } else {
    g.want_key = EVP_PKEY_RSA;
    sigalgs = "rsa_pss_rsae_sha256:rsa_pss_rsae_sha384:RSA+SHA256";
    groups = "X25519";
  }
  if (SSL_CTX_set1_sigalgs_list(ctx, sigalgs) != 1 || SSL_CTX_set1_groups_list(ctx, groups) != 1) {
    return 2;
  }

  int epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  struct slot* slots = calloc((size_t)concurrency, sizeof(struct slot));
  for (int i = 0; i < concurrency; ++i)
    slots[i].fd = -1;

  double start = now_s();
  double deadline = start + seconds;
  for (int i = 0; i < concurrency; ++i)
    slot_open(epoll_fd, ctx, &slots[i]);
  struct epoll_event events[256];
  for (;;) {
    double now = now_s();
    if (now >= deadline) break;
    int n = epoll_wait(epoll_fd, events, 256, (int)((deadline - now) * 1000) + 1);
    for (int i = 0; i < n; ++i) {
      struct slot* s = events[i].data.ptr;
      if (s->fd < 0) continue;
      if (step(s) && now_s() < deadline) {
        // A failed connect would spin: give the server a moment before the next attempt.
        if (g.errors > 1000 && g.completed == 0) break;
        slot_open(epoll_fd, ctx, s);
      }
    }
    if (g.errors > 1000 && g.completed == 0) break;
  }
  double elapsed = now_s() - start;
  for (int i = 0; i < concurrency; ++i)
    slot_close(&slots[i]);
  printf(
      "{\"completed\": %ld, \"ok\": %ld, \"status_other\": %ld, \"errors\": %ld, "
      "\"resumed\": %ld, \"wrong_key\": %ld, \"seconds\": %.3f, \"first_error\": \"%s\"}\n",
      g.completed, g.ok, g.status_other, g.errors, g.resumed, g.wrong_key, elapsed, g.first_error);
  return 0;
}
