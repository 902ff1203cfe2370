// A worker's idle keep-alive connections to real servers.
#include "proxy/server/connection_pool.h"

#include <set>
#include <vector>

#include "proxy/runtime/snapshot.h"
#include "proxy/server/real_server_connection.h"

namespace espd::server {

// The worker closes every idle connection before the pool goes (their close() needs the pool).
ConnectionPool::~ConnectionPool() = default;

RealServerConnection* ConnectionPool::take(const certs::UpstreamTlsContext* tls,
                                           const net::SocketAddress& address) {
  auto it = idle_.find(Key{tls, address});
  if (it == idle_.end() || it->second.empty()) return nullptr;
  RealServerConnection* connection = it->second.front();
  it->second.pop_front();
  if (it->second.empty()) idle_.erase(it);
  positions_.erase(connection);
  connection->leave_pool();
  return connection;
}

void ConnectionPool::put(RealServerConnection* connection, size_t max_idle,
                         uint64_t idle_timeout_ms) {
  Key key{connection->tls(), connection->address()};
  IdleList& list = idle_[key];
  list.push_front(connection);
  positions_[connection] = {key, list.begin()};
  connection->enter_pool(idle_timeout_ms);
  while (list.size() > max_idle) {
    RealServerConnection* oldest = list.back();
    oldest->close();  // calls remove()
  }
}

void ConnectionPool::remove(RealServerConnection* connection) {
  auto position = positions_.find(connection);
  if (position == positions_.end()) return;
  auto list = idle_.find(position->second.first);
  list->second.erase(position->second.second);
  if (list->second.empty()) idle_.erase(list);
  positions_.erase(position);
}

void ConnectionPool::drop_unused_profiles(const runtime::Snapshot& snapshot) {
  std::set<const certs::UpstreamTlsContext*> used;
  for (const auto& service : snapshot.services) {
    for (const runtime::Pool& pool : service->pools)
      used.insert(pool.tls.get());
  }
  std::vector<RealServerConnection*> stale;
  for (const auto& [key, list] : idle_) {
    if (!used.count(key.tls)) stale.insert(stale.end(), list.begin(), list.end());
  }
  for (RealServerConnection* connection : stale)
    connection->close();
}

void ConnectionPool::close_all() {
  std::vector<RealServerConnection*> all;
  for (const auto& [key, list] : idle_)
    all.insert(all.end(), list.begin(), list.end());
  for (RealServerConnection* connection : all)
    connection->close();
}

size_t ConnectionPool::idle_count() const {
  return positions_.size();
}

}  // namespace espd::server
