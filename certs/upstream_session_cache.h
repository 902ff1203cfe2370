// TLS client sessions toward real servers, kept per worker so that the next connection to the same
// real server resumes (no certificate chain sent and verified again, no key exchange signature).
#pragma once

#include <openssl/ssl.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "proxy/net/socket_address.h"

namespace espd::certs {

// Whose session it is. `context_id` names the UpstreamTlsContext (trust store, CRLs, client
// certificate) that verified the server; ids are never reused, and a configuration change builds
// new contexts, so a session verified under one trust configuration is never offered under
// another. `verify_name` is the name that was verified: OpenSSL does not check it again on
// resumption, so it must be part of the key.
struct UpstreamSessionKey {
  uint64_t context_id = 0;
  net::SocketAddress address;
  std::string verify_name;

  friend bool operator<(const UpstreamSessionKey& a, const UpstreamSessionKey& b) {
    if (a.context_id != b.context_id) return a.context_id < b.context_id;
    if (!(a.address == b.address)) return a.address < b.address;
    return a.verify_name < b.verify_name;
  }
};

// One worker's sessions: one per key (the most recent one the server issued), at most `capacity`
// keys; beyond that the key stored longest ago goes. Touched by its worker only: no lock.
class UpstreamSessionCache {
 public:
  static constexpr size_t kDefaultCapacity = 1024;

  explicit UpstreamSessionCache(size_t capacity = kDefaultCapacity) : capacity_(capacity) {}
  ~UpstreamSessionCache();
  UpstreamSessionCache(const UpstreamSessionCache&) = delete;
  UpstreamSessionCache& operator=(const UpstreamSessionCache&) = delete;

  // The session to offer for `key` (borrowed: SSL_set_session takes its own reference), or null.
  // An expired or non-resumable one is dropped. `now_s`: wall-clock seconds, as in SSL_SESSION.
  SSL_SESSION* find(const UpstreamSessionKey& key, uint64_t now_s);
  // Keeps `session` for `key` (takes over the caller's reference), replacing the previous one.
  void store(const UpstreamSessionKey& key, SSL_SESSION* session);
  // Drops the session of `key` (e.g. after a failed handshake that offered it).
  void forget(const UpstreamSessionKey& key);
  // Drops the sessions of every context not in `live` (the contexts of the current snapshot).
  void retain_contexts(const std::set<uint64_t>& live);

  size_t size() const { return entries_.size(); }
  size_t capacity() const { return capacity_; }

 private:
  struct Entry {
    SSL_SESSION* session = nullptr;
    uint64_t stored = 0;  // order of storing, for eviction
  };

  size_t capacity_;
  uint64_t next_stamp_ = 0;
  std::map<UpstreamSessionKey, Entry> entries_;
};

// What a client SSL needs to find its session and to store the ones the server sends: owned by
// the connection, which outlives its SSL.
struct UpstreamSessionSlot {
  UpstreamSessionCache* cache = nullptr;
  UpstreamSessionKey key;
};

}  // namespace espd::certs
