// Unit tests for the per-worker cache of TLS sessions toward real servers.
#include "certs/upstream_session_cache.h"

#include <catch2/catch.hpp>

#include <string>

using espd::certs::UpstreamSessionCache;
using espd::certs::UpstreamSessionKey;

namespace {

constexpr uint64_t kNow = 1'800'000'000;

// A resumable session (it has an id), issued at `issued` and valid for `lifetime_s`.
SSL_SESSION* make_session(uint64_t issued = kNow, long lifetime_s = 300) {
  SSL_SESSION* session = SSL_SESSION_new();
  const unsigned char id[4] = {1, 2, 3, 4};
  SSL_SESSION_set1_id(session, id, sizeof(id));
  SSL_SESSION_set_time(session, static_cast<long>(issued));
  SSL_SESSION_set_timeout(session, lifetime_s);
  return session;
}

UpstreamSessionKey key(uint64_t context, const char* address, const char* name) {
  return UpstreamSessionKey{context, *espd::net::parse_socket_address(address), name};
}

}  // namespace

TEST_CASE("a session is found only under its own context, address and verified name") {
  UpstreamSessionCache cache;
  CHECK(cache.find(key(1, "10.0.0.1:443", "fe.local"), kNow) == nullptr);
  SSL_SESSION* session = make_session();
  cache.store(key(1, "10.0.0.1:443", "fe.local"), session);
  CHECK(cache.find(key(1, "10.0.0.1:443", "fe.local"), kNow) == session);
  // Another trust configuration (context), another server, another name: never this session.
  CHECK(cache.find(key(2, "10.0.0.1:443", "fe.local"), kNow) == nullptr);
  CHECK(cache.find(key(1, "10.0.0.2:443", "fe.local"), kNow) == nullptr);
  CHECK(cache.find(key(1, "10.0.0.1:4443", "fe.local"), kNow) == nullptr);
  CHECK(cache.find(key(1, "10.0.0.1:443", "other.local"), kNow) == nullptr);
  CHECK(cache.size() == 1);
}

TEST_CASE("a newer session replaces the previous one of the same key") {
  UpstreamSessionCache cache;
  cache.store(key(1, "10.0.0.1:443", "fe.local"), make_session());
  SSL_SESSION* newer = make_session();
  cache.store(key(1, "10.0.0.1:443", "fe.local"), newer);
  CHECK(cache.size() == 1);
  CHECK(cache.find(key(1, "10.0.0.1:443", "fe.local"), kNow) == newer);
}

TEST_CASE("beyond its capacity the cache drops the key stored longest ago") {
  UpstreamSessionCache cache(2);
  cache.store(key(1, "10.0.0.1:443", "a"), make_session());
  cache.store(key(1, "10.0.0.2:443", "b"), make_session());
  cache.store(key(1, "10.0.0.1:443", "a"), make_session());  // "a" is now the most recent
  cache.store(key(1, "10.0.0.3:443", "c"), make_session());
  CHECK(cache.size() == 2);
  CHECK(cache.find(key(1, "10.0.0.2:443", "b"), kNow) == nullptr);
  CHECK(cache.find(key(1, "10.0.0.1:443", "a"), kNow) != nullptr);
  CHECK(cache.find(key(1, "10.0.0.3:443", "c"), kNow) != nullptr);
}

TEST_CASE("a capacity of 0 keeps nothing") {
  UpstreamSessionCache cache(0);
  cache.store(key(1, "10.0.0.1:443", "a"), make_session());
  CHECK(cache.size() == 0);
  CHECK(cache.find(key(1, "10.0.0.1:443", "a"), kNow) == nullptr);
}

TEST_CASE("expired and non-resumable sessions are dropped when looked up") {
  UpstreamSessionCache cache;
  cache.store(key(1, "10.0.0.1:443", "a"), make_session(kNow - 400, 300));
  CHECK(cache.find(key(1, "10.0.0.1:443", "a"), kNow) == nullptr);
  CHECK(cache.size() == 0);
  cache.store(key(1, "10.0.0.1:443", "a"), SSL_SESSION_new());  // no id, no ticket
  CHECK(cache.find(key(1, "10.0.0.1:443", "a"), kNow) == nullptr);
  CHECK(cache.size() == 0);
}

TEST_CASE("forget and retain_contexts drop sessions") {
  UpstreamSessionCache cache;
  cache.store(key(1, "10.0.0.1:443", "a"), make_session());
  cache.store(key(2, "10.0.0.1:443", "a"), make_session());
  cache.store(key(3, "10.0.0.1:443", "a"), make_session());
  cache.forget(key(3, "10.0.0.1:443", "a"));
  CHECK(cache.size() == 2);
  cache.retain_contexts({2});
  CHECK(cache.size() == 1);
  CHECK(cache.find(key(1, "10.0.0.1:443", "a"), kNow) == nullptr);
  CHECK(cache.find(key(2, "10.0.0.1:443", "a"), kNow) != nullptr);
}
