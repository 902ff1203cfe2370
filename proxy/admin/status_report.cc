// The status document and Prometheus metrics.
#include "proxy/admin/status_report.h"

#include <chrono>
#include <sstream>

#include "certs/certificate_expiry.h"
#include "proxy/log/json_line.h"
#include "proxy/log/log_writer.h"

namespace espd::admin {
namespace {

using nlohmann::json;

uint64_t wall_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

const char* mode_name(config::PersistenceMode mode) {
  switch (mode) {
    case config::PersistenceMode::kNone:
      return "none";
    case config::PersistenceMode::kActiveCookie:
      return "active_cookie";
    case config::PersistenceMode::kSourceIp:
      return "source_ip";
    case config::PersistenceMode::kActiveCookieOrSourceIp:
      return "active_cookie_or_source_ip";
  }
  return "none";
}

std::string iso_time(uint64_t ms) {
  time_t seconds = static_cast<time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// A Prometheus label value: backslash, quote and newline escaped.
std::string label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

json status_document(const runtime::Snapshot& snapshot) {
  json services = json::object();
  uint64_t now = wall_ms();
  for (const auto& service : snapshot.services) {
    const runtime::ServiceState& state = *service->state;
    json pools = json::object();
    for (const runtime::Pool& pool : service->pools) {
      json servers = json::array();
      for (const runtime::RealServer& server : pool.servers) {
        const runtime::RealServerState& s = *server.state;
        runtime::RealServerState::CheckReport report = s.report();
        json entry = {{"address", server.config->address},
                      {"port", server.config->port},
                      {"weight", server.config->weight},
                      {"enabled", server.config->enabled},
                      {"drain", server.config->drain},
                      {"health", s.health.load() == runtime::Health::kUp ? "up" : "down"},
                      {"passive_backoff", s.failing_until_ms.load() > now},
                      {"active", s.active.load()},
                      {"requests", s.requests.load()},
                      {"failures", s.failures.load()},
                      {"bytes_to_server", s.bytes_to_server.load()},
                      {"bytes_from_server", s.bytes_from_server.load()},
                      {"tls_handshakes",
                       {{"full", s.tls_full_handshakes.load()},
                        {"resumed", s.tls_resumed_handshakes.load()}}}};
        if (report.checked) {
          entry["last_check"] = {{"ok", report.ok},
                                 {"result", report.result},
                                 {"time", iso_time(report.time_ms)},
                                 {"consecutive", report.consecutive}};
        } else {
          entry["last_check"] = nullptr;
        }
        servers.push_back(entry);
      }
      json persistence = {{"mode", mode_name(pool.config->persistence.mode)}};
      if (pool.source_ip) {
        persistence["entries"] =
            pool.source_ip->live_entries(now, pool.config->persistence.timeout_s);
        persistence["capacity"] = pool.source_ip->capacity();
        persistence["evictions"] = pool.source_ip->evictions();
      }
      pools[pool.name] = {
          {"scheduling", pool.config->scheduling == config::Scheduling::kLeastConnection
                             ? "least_connection"
                         : pool.config->scheduling == config::Scheduling::kWeightedRoundRobin
                             ? "weighted_round_robin"
                             : "round_robin"},
          {"health_check", pool.config->health_check.enabled},
          {"persistence", persistence},
          {"real_servers", servers}};
    }
    json certificates = json::array();
    if (service->tls) {
      for (const auto& entry : service->tls->entries()) {
        certificates.push_back(
            {{"name", entry.certificate->name},
             {"not_after", certs::date_of(entry.certificate->not_after)},
             {"days_left", certs::days_left(*entry.certificate, time(nullptr))}});
      }
    }
    uint64_t responses = 0;
    for (const auto& count : state.responses)
      responses += count.load();
    services[service->name] = {{"listen", service->listen.to_string()},
                               {"tls", service->tls != nullptr},
                               {"connections", state.connections.load()},
                               {"connections_refused", state.connections_refused.load()},
                               {"requests", responses},
                               {"certificates", certificates},
                               {"pools", pools}};
  }
  return {{"generation", snapshot.generation},
          {"virtual_services", services},
          {"log_records_dropped", log::LogWriter::instance().dropped()}};
}

std::string prometheus_metrics(const runtime::Snapshot& snapshot) {
  std::ostringstream out;
  auto help = [&](const char* name, const char* type, const char* text) {
    out << "# HELP " << name << " " << text << "\n# TYPE " << name << " " << type << "\n";
  };
  help("espd_config_generation", "gauge", "Generation of the running configuration.");
  out << "espd_config_generation " << snapshot.generation << "\n";
  help("espd_log_records_dropped_total", "counter",
       "Log records dropped because the queue was full.");
  out << "espd_log_records_dropped_total " << log::LogWriter::instance().dropped() << "\n";

  help("espd_client_connections", "gauge", "Open client connections.");
  for (const auto& s : snapshot.services) {
    out << "espd_client_connections{virtual_service=\"" << label(s->name) << "\"} "
        << s->state->connections.load() << "\n";
  }
  help("espd_client_connections_total", "counter", "Client connections accepted.");
  for (const auto& s : snapshot.services) {
    out << "espd_client_connections_total{virtual_service=\"" << label(s->name) << "\"} "
        << s->state->connections_total.load() << "\n";
  }
  help("espd_client_connections_refused_total", "counter",
       "Client connections refused by max_connections or max_connections_per_client.");
  for (const auto& s : snapshot.services) {
    out << "espd_client_connections_refused_total{virtual_service=\"" << label(s->name) << "\"} "
        << s->state->connections_refused.load() << "\n";
  }
  help("espd_responses_total", "counter", "Responses sent, by status class.");
  for (const auto& s : snapshot.services) {
    static const char* kClasses[] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
    for (size_t c = 0; c < 6; ++c) {
      out << "espd_responses_total{virtual_service=\"" << label(s->name) << "\",code=\""
          << kClasses[c] << "\"} " << s->state->responses[c].load() << "\n";
    }
  }
  help("espd_request_duration_seconds", "histogram",
       "Time from a request's head to the end of its response.");
  for (const auto& s : snapshot.services) {
    const runtime::ServiceState& state = *s->state;
    uint64_t cumulative = 0;
    std::string vs = label(s->name);
    for (size_t b = 0; b < runtime::ServiceState::kDurationBucketsMs.size(); ++b) {
      cumulative += state.duration_buckets[b].load();
      out << "espd_request_duration_seconds_bucket{virtual_service=\"" << vs << "\",le=\""
          << runtime::ServiceState::kDurationBucketsMs[b] / 1000.0 << "\"} " << cumulative << "\n";
    }
    cumulative += state.duration_buckets.back().load();
    out << "espd_request_duration_seconds_bucket{virtual_service=\"" << vs << "\",le=\"+Inf\"} "
        << cumulative << "\n";
    out << "espd_request_duration_seconds_sum{virtual_service=\"" << vs << "\"} "
        << state.duration_sum_ms.load() / 1000.0 << "\n";
    out << "espd_request_duration_seconds_count{virtual_service=\"" << vs << "\"} " << cumulative
        << "\n";
  }

  struct ServerMetric {
    const char* name;
    const char* type;
    const char* help;
    uint64_t (*value)(const runtime::RealServer&);
  };
  static const ServerMetric kServerMetrics[] = {
      {"espd_real_server_up", "gauge", "1 if the real server is up (health check), else 0.",
       [](const runtime::RealServer& r) -> uint64_t {
         return r.state->health.load() == runtime::Health::kUp;
       }},
      {"espd_real_server_active_requests", "gauge", "Requests in flight to the real server.",
       [](const runtime::RealServer& r) -> uint64_t {
         int32_t active = r.state->active.load();
         return active > 0 ? static_cast<uint64_t>(active) : 0;
       }},
      {"espd_real_server_requests_total", "counter", "Requests sent to the real server.",
       [](const runtime::RealServer& r) -> uint64_t { return r.state->requests.load(); }},
      {"espd_real_server_failures_total", "counter", "Failed exchanges with the real server.",
       [](const runtime::RealServer& r) -> uint64_t { return r.state->failures.load(); }},
      {"espd_real_server_sent_bytes_total", "counter", "Bytes sent to the real server.",
       [](const runtime::RealServer& r) -> uint64_t { return r.state->bytes_to_server.load(); }},
      {"espd_real_server_received_bytes_total", "counter", "Bytes received from the real server.",
       [](const runtime::RealServer& r) -> uint64_t { return r.state->bytes_from_server.load(); }},
      {"espd_real_server_tls_full_handshakes_total", "counter",
       "Full TLS handshakes of new connections to the real server.",
       [](const runtime::RealServer& r) -> uint64_t {
         return r.state->tls_full_handshakes.load();
       }},
      {"espd_real_server_tls_resumed_handshakes_total", "counter",
       "TLS handshakes to the real server that resumed a cached session.",
       [](const runtime::RealServer& r) -> uint64_t {
         return r.state->tls_resumed_handshakes.load();
       }},
  };
  for (const ServerMetric& metric : kServerMetrics) {
    help(metric.name, metric.type, metric.help);
    for (const auto& s : snapshot.services) {
      for (const runtime::Pool& pool : s->pools) {
        for (const runtime::RealServer& server : pool.servers) {
          out << metric.name << "{virtual_service=\"" << label(s->name) << "\",pool=\""
              << label(pool.name) << "\",real_server=\"" << label(server.label) << "\"} "
              << metric.value(server) << "\n";
        }
      }
    }
  }
  help("espd_persistence_entries", "gauge", "Live source-IP persistence entries.");
  help("espd_persistence_evictions_total", "counter", "Source-IP entries evicted when full.");
  uint64_t now = wall_ms();
  for (const auto& s : snapshot.services) {
    for (const runtime::Pool& pool : s->pools) {
      if (!pool.source_ip) continue;
      std::string labels =
          "{virtual_service=\"" + label(s->name) + "\",pool=\"" + label(pool.name) + "\"}";
      out << "espd_persistence_entries" << labels << " "
          << pool.source_ip->live_entries(now, pool.config->persistence.timeout_s) << "\n";
      out << "espd_persistence_evictions_total" << labels << " " << pool.source_ip->evictions()
          << "\n";
    }
  }
  help("espd_certificate_days_left", "gauge", "Days until the certificate expires.");
  for (const auto& s : snapshot.services) {
    if (!s->tls) continue;
    for (const auto& entry : s->tls->entries()) {
      out << "espd_certificate_days_left{virtual_service=\"" << label(s->name)
          << "\",certificate=\"" << label(entry.certificate->name) << "\"} "
          << certs::days_left(*entry.certificate, time(nullptr)) << "\n";
    }
  }
  return out.str();
}

}  // namespace espd::admin
