// The running configuration: a validated Config compiled into what the data path reads
// (addresses, TLS contexts, pools with their shared state). Immutable once built; a change builds
// a new Snapshot and swaps it in, and connections finish on the one they started with.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "certs/server_tls_context.h"
#include "certs/upstream_tls_context.h"
#include "proxy/config/config_model.h"
#include "proxy/config/diagnostic.h"
#include "proxy/esp/esp_policy.h"
#include "proxy/net/socket_address.h"
#include "proxy/routing/route_table.h"
#include "proxy/runtime/real_server_state.h"
#include "proxy/runtime/service_state.h"

namespace espd::runtime {

struct RealServer {
  const config::RealServerConfig* config = nullptr;
  net::SocketAddress address;
  std::string label;        // "10.154.201.2:4443"
  std::string verify_name;  // name checked on its certificate (and sent as SNI if a name)
  std::shared_ptr<RealServerState> state;
  uint32_t persistence_id = 0;  // its id in the pool's source-IP table
  std::string cookie;           // its MS-WSMAN cookie value
  // The whole "Set-Cookie: ...\r\n" line that persists a client to it (with the pool's cookie
  // settings), built once here rather than per response.
  std::string set_cookie_line;
};

struct Pool {
  std::string name;
  const config::PoolConfig* config = nullptr;
  std::vector<RealServer> servers;
  std::shared_ptr<certs::UpstreamTlsContext> tls;  // null: plain HTTP toward the servers
  std::shared_ptr<PoolState> state;
  std::vector<uint16_t> weighted_order;  // weighted round robin: server indexes, smooth order
  // Source-IP persistence (null unless the pool uses it); the same table as the previous
  // snapshot's when its size did not change, so entries survive configuration changes.
  std::shared_ptr<persistence::SourceIpTable> source_ip;
};

struct VirtualService {
  std::string name;
  const config::VirtualServiceConfig* config = nullptr;
  net::SocketAddress listen;
  std::shared_ptr<certs::ServerTlsContext> tls;  // null: plain HTTP service
  std::vector<Pool> pools;
  const Pool* default_pool = nullptr;
  esp::EspPolicy esp;
  routing::RouteTable routes;  // route index -> position in `pools`
  std::shared_ptr<ServiceState> state;

  const Pool* find_pool(const std::string& name) const;
};

struct Snapshot {
  std::shared_ptr<const config::Config> config;
  uint64_t generation = 0;
  std::vector<std::unique_ptr<VirtualService>> services;

  const VirtualService* find_by_listen(const net::SocketAddress& address) const;
};

// Compiles `config`. State of real servers and pools that also exist in `previous` (same virtual
// service, pool and address:port) is carried over. Certificate and trust store problems are
// reported to `diagnostics` and give null. Used both by `espd --check` and by every (re)load, so a
// configuration that checks is one that runs.
struct BuildOptions {
  // Create the persistence key file when it does not exist (a real start; not --check).
  bool create_persistence_key = false;
};

std::shared_ptr<const Snapshot> build_snapshot(std::shared_ptr<const config::Config> config,
                                               const Snapshot* previous,
                                               config::Diagnostics& diagnostics,
                                               const BuildOptions& options = {});

}  // namespace espd::runtime
