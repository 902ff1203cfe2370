// Choosing the real server for a request, with persistence.
#include "proxy/persistence/server_choice.h"

#include "proxy/persistence/cookie_persistence.h"
#include "proxy/persistence/source_ip_table.h"
#include "proxy/scheduling/scheduler.h"

namespace espd::persistence {
namespace {

using config::PersistenceMode;

bool uses_cookie(PersistenceMode mode) {
  return mode == PersistenceMode::kActiveCookie || mode == PersistenceMode::kActiveCookieOrSourceIp;
}

bool uses_source_ip(PersistenceMode mode) {
  return mode == PersistenceMode::kSourceIp || mode == PersistenceMode::kActiveCookieOrSourceIp;
}

const runtime::RealServer* server_with_cookie(const runtime::Pool& pool, std::string_view value) {
  for (const runtime::RealServer& server : pool.servers) {
    if (same_value(server.cookie, value)) return &server;
  }
  return nullptr;
}

const runtime::RealServer* server_with_id(const runtime::Pool& pool, uint32_t id) {
  for (const runtime::RealServer& server : pool.servers) {
    if (server.persistence_id == id) return &server;
  }
  return nullptr;
}

void remember(const runtime::Pool& pool, ServerChoice& choice, const runtime::RealServer& server,
              const net::SocketAddress& client, uint64_t now_ms, bool cookie_valid) {
  const config::PersistenceConfig& config = pool.config->persistence;
  if (uses_cookie(config.mode) && !cookie_valid) {
    choice.set_cookie = server.set_cookie_line;
  }
  if (uses_source_ip(config.mode) && pool.source_ip) {
    uint64_t key = SourceIpTable::client_key(client, config.ipv4_prefix, config.ipv6_prefix);
    pool.source_ip->remember(key, server.persistence_id, now_ms, config.timeout_s);
  }
}

}  // namespace

ServerChoice choose_server(const runtime::Pool& pool, const std::vector<http1::Header>& headers,
                           const net::SocketAddress& client, uint64_t now_ms) {
  ServerChoice choice;
  const config::PersistenceConfig& config = pool.config->persistence;
  bool persisted_elsewhere = false;

  if (uses_cookie(config.mode)) {
    std::string_view value = find_cookie(headers, config.cookie);
    if (!value.empty()) {
      const runtime::RealServer* server = server_with_cookie(pool, value);
      if (server && scheduling::accepts_persisted(*server, now_ms)) {
        choice.server = server;
        choice.decision = "cookie";
        remember(pool, choice, *server, client, now_ms, /*cookie_valid=*/true);
        return choice;
      }
      persisted_elsewhere = server != nullptr;
    }
  }
  if (uses_source_ip(config.mode) && pool.source_ip) {
    uint64_t key = SourceIpTable::client_key(client, config.ipv4_prefix, config.ipv6_prefix);
    uint32_t id = pool.source_ip->lookup(key, now_ms, config.timeout_s);
    if (id != 0) {
      const runtime::RealServer* server = server_with_id(pool, id);
      if (server && scheduling::accepts_persisted(*server, now_ms)) {
        choice.server = server;
        choice.decision = "source_ip";
        remember(pool, choice, *server, client, now_ms, /*cookie_valid=*/false);
        return choice;
      }
      persisted_elsewhere = true;
    }
  }

  choice.server = scheduling::pick(pool, now_ms);
  if (!choice.server) return choice;
  choice.decision = config.mode == PersistenceMode::kNone ? "none"
                    : persisted_elsewhere                 ? "rescheduled"
                                                          : "scheduled";
  remember(pool, choice, *choice.server, client, now_ms, /*cookie_valid=*/false);
  return choice;
}

void rebind(const runtime::Pool& pool, ServerChoice& choice, const runtime::RealServer& server,
            const net::SocketAddress& client, uint64_t now_ms) {
  choice.server = &server;
  if (pool.config->persistence.mode == PersistenceMode::kNone) return;
  choice.decision = "rescheduled";
  remember(pool, choice, server, client, now_ms, /*cookie_valid=*/false);
}

}  // namespace espd::persistence
