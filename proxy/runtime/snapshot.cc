// Compiling a validated Config into a runtime Snapshot.
#include "proxy/runtime/snapshot.h"

#include <set>

#include "certs/certificate_expiry.h"
#include "certs/san_coverage.h"
#include "proxy/persistence/cookie_persistence.h"
#include "proxy/persistence/persistence_key.h"
#include "proxy/scheduling/scheduler.h"

namespace espd::runtime {

const Pool* VirtualService::find_pool(const std::string& name) const {
  for (const Pool& pool : pools) {
    if (pool.name == name) return &pool;
  }
  return nullptr;
}

const VirtualService* Snapshot::find_by_listen(const net::SocketAddress& address) const {
  for (const auto& service : services) {
    if (service->listen == address) return service.get();
  }
  return nullptr;
}

namespace {

const Pool* find_previous_pool(const Snapshot* previous, const std::string& service,
                               const std::string& pool) {
  if (!previous) return nullptr;
  for (const auto& s : previous->services) {
    if (s->name == service) return s->find_pool(pool);
  }
  return nullptr;
}

std::shared_ptr<RealServerState> previous_state(const Pool* previous,
                                                const net::SocketAddress& address) {
  if (!previous) return nullptr;
  for (const RealServer& server : previous->servers) {
    if (server.address == address) return server.state;
  }
  return nullptr;
}

void warn_about_expiry(const config::Config& config, const certs::ServerTlsContext& tls,
                       config::Diagnostics& diagnostics) {
  time_t now = time(nullptr);
  for (const certs::ServerTlsContext::Entry& entry : tls.entries()) {
    const certs::LoadedCertificate& certificate = *entry.certificate;
    long days = certs::days_left(certificate, now);
    if (certs::expiry_threshold(days) == 0) continue;
    diagnostics.warning(config.certificates.at(certificate.name).source_file,
                        "/certificates/" + certificate.name,
                        "expires in " + std::to_string(days) + " days (" +
                            certs::date_of(certificate.not_after) + "): renew it");
  }
}

}  // namespace

std::shared_ptr<const Snapshot> build_snapshot(std::shared_ptr<const config::Config> config,
                                               const Snapshot* previous,
                                               config::Diagnostics& diagnostics,
                                               const BuildOptions& options) {
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->config = config;
  snapshot->generation = previous ? previous->generation + 1 : 1;
  bool failed = false;

  persistence::PersistenceKey key{};
  std::string key_error = persistence::load_persistence_key(
      config->resolve_path(config->persistence_key_file), options.create_persistence_key, key);
  if (!key_error.empty()) {
    diagnostics.error("", "/persistence_key_file", key_error);
    failed = true;
  }

  for (const auto& [name, vs] : config->virtual_services) {
    const std::string pointer = "/virtual_services/" + name;
    auto service = std::make_unique<VirtualService>();
    service->name = name;
    service->config = &vs;
    service->state = std::make_shared<ServiceState>();
    if (previous) {
      for (const auto& before : previous->services) {
        if (before->name == name) service->state = before->state;
      }
    }
    auto listen = net::parse_socket_address(vs.listen);
    if (!listen) {  // the validator reported it (only a partial configuration gets here)
      failed = true;
      continue;
    }
    service->listen = *listen;

    if (vs.tls) {
      service->tls = certs::ServerTlsContext::create(*config, *vs.tls, vs.source_file,
                                                     pointer + "/tls", diagnostics);
      if (!service->tls) {
        failed = true;
      } else {
        certs::check_san_coverage(vs, *service->tls, pointer, diagnostics);
        warn_about_expiry(*config, *service->tls, diagnostics);
      }
    }

    for (const auto& [pool_name, pool_config] : vs.pools) {
      const std::string pool_pointer = pointer + "/pools/" + pool_name;
      Pool pool;
      pool.name = pool_name;
      pool.config = &pool_config;
      const Pool* before = find_previous_pool(previous, name, pool_name);
      pool.state = before ? before->state : std::make_shared<PoolState>();
      const config::PersistenceConfig& persistence = pool_config.persistence;
      bool source_ip = persistence.mode == config::PersistenceMode::kSourceIp ||
                       persistence.mode == config::PersistenceMode::kActiveCookieOrSourceIp;
      if (source_ip) {
        if (before && before->source_ip &&
            before->source_ip->max_entries() == persistence.max_entries) {
          pool.source_ip = before->source_ip;
        } else {
          pool.source_ip = std::make_shared<persistence::SourceIpTable>(persistence.max_entries);
        }
      }
      if (pool_config.reencrypt.enabled) {
        pool.tls = certs::UpstreamTlsContext::create(*config, pool_config.reencrypt, vs.source_file,
                                                     pool_pointer + "/reencrypt", diagnostics);
        if (!pool.tls) failed = true;
      }
      for (size_t i = 0; i < pool_config.real_servers.size(); ++i) {
        const config::RealServerConfig& rs = pool_config.real_servers[i];
        auto address = net::make_socket_address(rs.address, rs.port);
        if (!address) {  // reported by the validator
          failed = true;
          continue;
        }
        RealServer server;
        server.config = &rs;
        server.address = *address;
        server.label = address->to_string();
        server.verify_name = pool_config.reencrypt.server_name.empty()
                                 ? address->ip_string()
                                 : pool_config.reencrypt.server_name;
        server.state = previous_state(before, *address);
        if (!server.state) server.state = std::make_shared<RealServerState>();
        server.persistence_id = pool.state->server_id(server.label);
        server.cookie = persistence::cookie_value(key, name, pool_name, server.label);
        server.set_cookie_line =
            persistence::set_cookie_field(pool_config.persistence, server.cookie);
        pool.servers.push_back(std::move(server));
      }
      std::vector<uint32_t> weights;
      for (const RealServer& server : pool.servers)
        weights.push_back(server.config->weight);
      pool.weighted_order = scheduling::smooth_weighted_order(weights);
      service->pools.push_back(std::move(pool));
    }
    // Pools are in a vector that no longer grows: pointers into it are stable from here on.
    service->default_pool = service->find_pool(vs.default_pool);
    service->esp = esp::EspPolicy(vs.esp);
    const VirtualService& compiled = *service;
    service->routes = routing::RouteTable(vs.routes, [&compiled](const std::string& pool) {
      for (size_t i = 0; i < compiled.pools.size(); ++i) {
        if (compiled.pools[i].name == pool) return static_cast<int>(i);
      }
      return -1;
    });
    snapshot->services.push_back(std::move(service));
  }
  // Certificates no listener or pool uses yet are checked too: a broken one is an error now,
  // not when someone starts using it.
  std::set<std::string> used;
  for (const auto& [name, vs] : config->virtual_services) {
    if (vs.tls) used.insert(vs.tls->certificates.begin(), vs.tls->certificates.end());
    for (const auto& [pool_name, pool] : vs.pools)
      used.insert(pool.reencrypt.client_certificate);
  }
  if (config->admin)
    used.insert(config->admin->certificates.begin(), config->admin->certificates.end());
  for (const auto& [name, certificate] : config->certificates) {
    if (!used.count(name) && !certs::load_certificate(*config, name, diagnostics)) failed = true;
  }
  if (failed) return nullptr;
  return snapshot;
}

}  // namespace espd::runtime
