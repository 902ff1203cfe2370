// The listening sockets of the process (control thread only): one socket per worker and address,
// kept across configuration changes for every address that stays, so no queued connection is lost.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "proxy/net/socket_address.h"

namespace espd::listeners {

// The sockets of one worker: address -> fd.
using WorkerListeners = std::map<net::SocketAddress, int>;

class ListenerRegistry {
 public:
  explicit ListenerRegistry(size_t workers) : workers_(workers) {}

  // Makes sure every address in `wanted` has its sockets (opening new ones); on failure closes
  // what it just opened, leaves the registry as it was and returns the error. On success returns
  // "" and fills `per_worker` with the sockets each worker must serve; sockets of addresses no
  // longer wanted are forgotten here: each worker closes its own when it applies the change.
  std::string prepare(const std::vector<net::SocketAddress>& wanted,
                      std::vector<WorkerListeners>& per_worker);

 private:
  size_t workers_;
  std::map<net::SocketAddress, std::vector<int>> sockets_;
};

}  // namespace espd::listeners
