// The control thread: owns the workers and the listening sockets, applies configurations
// (initial load, SIGHUP, later the admin API), and runs the graceful shutdown on SIGTERM.
#pragma once

#include <event2/event.h>

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "health/health_checker.h"
#include "listeners/listener_registry.h"
#include "proxy/admin/admin_http_server.h"
#include "proxy/admin/admin_types.h"
#include "proxy/config/config_loader.h"
#include "proxy/runtime/snapshot.h"
#include "proxy/runtime/worker.h"

namespace espd::runtime {

class Supervisor : public admin::AdminBackend {
 public:
  explicit Supervisor(std::string config_path);
  ~Supervisor() override;

  // Loads, validates and starts serving; returns the process exit code once stopped.
  int run();

  std::shared_ptr<const Snapshot> current() const;

  // admin::AdminBackend (called from the admin thread)
  std::shared_ptr<const Snapshot> snapshot() const override { return current(); }
  Change change_config(std::shared_ptr<const config::Config> next,
                       const std::string& base_etag) override;
  config::Diagnostics check_config(std::shared_ptr<const config::Config> next) override;
  const std::string& config_path() const override { return config_path_; }

 private:
  // Validates and applies a configuration; on error returns the diagnostics and nothing changes.
  // The caller holds apply_mutex_.
  config::Diagnostics apply(std::shared_ptr<const config::Config> config);

  static void on_signal(evutil_socket_t signal, short what, void* arg);
  static void on_tick(evutil_socket_t fd, short what, void* arg);
  void reload();
  void begin_shutdown();
  void check_shutdown_progress();
  // Arms the control thread's one-shot tick for when something is next due (control_tick.h).
  void schedule_tick();
  // Logs "certificate_expiring" when a certificate in use is past 30 or 7 days left (once each).
  void check_certificate_expiry();

  std::string config_path_;
  event_base* base_ = nullptr;
  std::vector<event*> events_;
  event* tick_ = nullptr;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<listeners::ListenerRegistry> listeners_;
  health::HealthChecker health_;
  std::unique_ptr<admin::AdminHttpServer> admin_;
  // Serialises configuration changes: SIGHUP (control thread) and the admin API (its thread).
  std::mutex apply_mutex_;
  mutable std::mutex current_mutex_;
  std::shared_ptr<const Snapshot> current_;
  uint64_t shutdown_deadline_ms_ = 0;
  uint64_t next_ticket_rotation_ms_ = 0;
  uint64_t next_expiry_check_ms_ = 0;
  std::map<std::string, int> expiry_logged_;  // fingerprint -> threshold already logged
  // Set by the control thread, read by the admin thread (change_config) as well.
  std::atomic<bool> shutting_down_{false};
  std::atomic<size_t> workers_running_{0};
};

}  // namespace espd::runtime
