// The listening sockets of the process.
#include "listeners/listener_registry.h"

#include <unistd.h>

#include "listeners/listening_socket.h"

namespace espd::listeners {

std::string ListenerRegistry::prepare(const std::vector<net::SocketAddress>& wanted,
                                      std::vector<WorkerListeners>& per_worker) {
  std::map<net::SocketAddress, std::vector<int>> next;
  std::vector<int> opened;
  for (const net::SocketAddress& address : wanted) {
    if (next.count(address)) continue;
    auto existing = sockets_.find(address);
    if (existing != sockets_.end()) {
      next[address] = existing->second;
      continue;
    }
    std::vector<int> fds;
    for (size_t i = 0; i < workers_; ++i) {
      std::string error;
      int fd = open_listening_socket(address, error);
      if (fd < 0) {
        for (int f : fds)
          ::close(f);
        for (int f : opened)
          ::close(f);
        return error;
      }
      fds.push_back(fd);
    }
    opened.insert(opened.end(), fds.begin(), fds.end());
    next[address] = std::move(fds);
  }
  sockets_ = std::move(next);
  per_worker.assign(workers_, {});
  for (const auto& [address, fds] : sockets_) {
    for (size_t i = 0; i < workers_; ++i)
      per_worker[i][address] = fds[i];
  }
  return {};
}

}  // namespace espd::listeners
