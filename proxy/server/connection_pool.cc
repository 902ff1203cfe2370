// A worker's idle keep-alive connections to real servers.
#include "proxy/server/connection_pool.h"

#include <set>

#include "proxy/runtime/snapshot.h"
#include "proxy/server/real_server_connection.h"

namespace espd::server {

// The worker closes every idle connection before the pool goes (their close() needs the pool).
ConnectionPool::~ConnectionPool() = default;

RealServerConnection* ConnectionPool::take(const certs::UpstreamTlsContext* tls,
                                           const net::SocketAddress& address) {
  auto it = idle_.find(Key{tls, address});
  if (it == idle_.end() || it->second.empty()) return nullptr;
  RealServerConnection* connection = it->second.pop_front();
  connection->pool_list = nullptr;
  --idle_count_;
  connection->leave_pool();
  return connection;
}

void ConnectionPool::put(RealServerConnection* connection, size_t max_idle,
                         uint64_t idle_timeout_ms) {
  IdleList& list = idle_[Key{connection->tls(), connection->address()}];
  list.push_front(connection);
  connection->pool_list = &list;
  ++idle_count_;
  connection->enter_pool(idle_timeout_ms);
  while (list.size() > max_idle) {
    RealServerConnection* oldest = list.back();
    remove(oldest);
    oldest->close();
  }
}

void ConnectionPool::remove(RealServerConnection* connection) {
  if (!connection->pool_list) return;
  connection->pool_list->remove(connection);
  connection->pool_list = nullptr;
  --idle_count_;
}

void ConnectionPool::close_list(IdleList& list) {
  while (RealServerConnection* connection = list.pop_front()) {
    connection->pool_list = nullptr;
    --idle_count_;
    connection->close();
  }
}

void ConnectionPool::drop_unused_profiles(const runtime::Snapshot& snapshot) {
  std::set<const certs::UpstreamTlsContext*> used;
  for (const auto& service : snapshot.services) {
    for (const runtime::Pool& pool : service->pools)
      used.insert(pool.tls.get());
  }
  for (auto it = idle_.begin(); it != idle_.end();) {
    if (used.count(it->first.tls)) {
      ++it;
      continue;
    }
    close_list(it->second);
    it = idle_.erase(it);
  }
}

void ConnectionPool::close_all() {
  for (auto& [key, list] : idle_)
    close_list(list);
  idle_.clear();
}

}  // namespace espd::server
