// A worker's idle keep-alive connections to real servers, by TLS profile and address.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>

#include "proxy/base/intrusive_list.h"
#include "proxy/net/socket_address.h"
#include "proxy/server/real_server_connection.h"

namespace espd::runtime {
struct Snapshot;
}  // namespace espd::runtime

namespace espd::certs {
class UpstreamTlsContext;
}

namespace espd::server {

class RealServerConnection;

class ConnectionPool {
 public:
  ConnectionPool() = default;
  ~ConnectionPool();

  // The most recently used idle connection for this profile and address, or null.
  RealServerConnection* take(const certs::UpstreamTlsContext* tls,
                             const net::SocketAddress& address);
  // Keeps `connection` idle (at most `max_idle` per key; the oldest beyond that is closed).
  void put(RealServerConnection* connection, size_t max_idle, uint64_t idle_timeout_ms);
  // Forgets an idle connection that is closing itself.
  void remove(RealServerConnection* connection);
  // Closes idle connections whose TLS profile the new snapshot no longer uses.
  void drop_unused_profiles(const runtime::Snapshot& snapshot);
  void close_all();

  size_t idle_count() const { return idle_count_; }
  uint64_t opened() const { return opened_; }
  void count_opened() { ++opened_; }

 private:
  struct Key {
    const certs::UpstreamTlsContext* tls;
    net::SocketAddress address;
    friend bool operator<(const Key& a, const Key& b) {
      if (a.tls != b.tls) return a.tls < b.tls;
      return a.address < b.address;
    }
  };
  using IdleList = RealServerConnection::IdleList;
  void close_list(IdleList& list);

  // One list per key, kept when it empties, so returning a connection allocates nothing (the
  // connection carries its links and its list); lists of profiles no snapshot uses are dropped.
  std::map<Key, IdleList> idle_;
  size_t idle_count_ = 0;
  uint64_t opened_ = 0;
};

}  // namespace espd::server
