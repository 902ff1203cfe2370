// The control thread: workers, listening sockets, configuration changes, shutdown.
#include "proxy/runtime/supervisor.h"

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "certs/certificate_expiry.h"
#include "certs/certificate_loader.h"
#include "certs/session_ticket_keys.h"
#include "proxy/admin/config_document.h"
#include "proxy/admin/config_files.h"
#include "proxy/log/event.h"
#include "proxy/runtime/control_tick.h"
#include "proxy/runtime/fd_limit.h"
#include "proxy/runtime/log_setup.h"

namespace espd::runtime {
namespace {

constexpr int kControlSignals[] = {SIGHUP, SIGTERM, SIGINT, SIGUSR1};

// Signals belong to the control thread. Every thread started while they are blocked (log writer,
// workers, health checker, admin API) inherits the mask, so a signal never lands on a thread that
// sleeps in a condition variable (where a sanitizer may hold its handler back indefinitely) and
// never interrupts a worker's system call.
sigset_t block_control_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int signal_number : kControlSignals)
    sigaddset(&set, signal_number);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

uint64_t steady_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

std::vector<std::string> error_lines(const config::Diagnostics& diagnostics) {
  std::vector<std::string> lines;
  for (const config::Diagnostic& d : diagnostics.all()) {
    if (d.severity == config::Severity::kError) lines.push_back(d.to_string());
  }
  return lines;
}

void log_warnings(const config::Diagnostics& diagnostics) {
  for (const config::Diagnostic& d : diagnostics.all()) {
    if (d.severity == config::Severity::kWarning) {
      log::Event(log::Level::kWarning, "config_warning").field("detail", d.to_string()).emit();
    }
  }
}

// Ticket keys are shared by all listeners: rotate at the shortest period any of them asks for.
uint64_t ticket_rotation_ms(const Snapshot& snapshot) {
  uint64_t seconds = 3600;
  bool any = false;
  for (const auto& [name, service] : snapshot.config->virtual_services) {
    if (!service.tls) continue;
    seconds = any ? std::min<uint64_t>(seconds, service.tls->session_ticket_rotation_s)
                  : service.tls->session_ticket_rotation_s;
    any = true;
  }
  return std::max<uint64_t>(seconds, 1) * 1000;
}

}  // namespace

Supervisor::Supervisor(std::string config_path) : config_path_(std::move(config_path)) {}

Supervisor::~Supervisor() {
  for (event* ev : events_)
    event_free(ev);
  if (tick_) event_free(tick_);
  if (base_) event_base_free(base_);
}

std::shared_ptr<const Snapshot> Supervisor::current() const {
  std::lock_guard lock(current_mutex_);
  return current_;
}

config::Diagnostics Supervisor::apply(std::shared_ptr<const config::Config> config) {
  config::Diagnostics diagnostics;
  std::shared_ptr<const Snapshot> previous = current();
  BuildOptions options;
  options.create_persistence_key = true;
  auto snapshot = build_snapshot(config, previous.get(), diagnostics, options);
  if (!snapshot) return diagnostics;
  std::vector<net::SocketAddress> addresses;
  for (const auto& service : snapshot->services)
    addresses.push_back(service->listen);
  std::vector<listeners::WorkerListeners> per_worker;
  std::string error = listeners_->prepare(addresses, per_worker);
  if (!error.empty()) {
    diagnostics.error("", "/virtual_services", error);
    return diagnostics;
  }
  std::string log_error = apply_log_destinations(*config);
  if (!log_error.empty()) diagnostics.warning("", "/logging", log_error + " (kept the previous)");
  if (previous && config->workers != previous->config->workers) {
    diagnostics.warning("", "/workers", "a new worker count takes effect at the next start");
  }
  {
    std::lock_guard lock(current_mutex_);
    current_ = snapshot;
  }
  health_.update(snapshot);
  for (size_t i = 0; i < workers_.size(); ++i) {
    Worker* worker = workers_[i].get();
    worker->post([worker, snapshot, fds = std::move(per_worker[i])]() mutable {
      worker->apply(snapshot, std::move(fds));
    });
  }
  return diagnostics;
}

int Supervisor::run() {
  // Unblocked on this thread once libevent handles them (just before the loop); a signal that
  // arrives meanwhile waits until then.
  sigset_t control_signals = block_control_signals();
  // A crash in the middle of an admin API save: finish it (or discard it) before reading.
  std::error_code ignored;
  std::string directory = std::filesystem::is_directory(config_path_, ignored)
                              ? config_path_
                              : std::filesystem::path(config_path_).parent_path().string();
  std::string recovery = admin::recover_interrupted_write(directory.empty() ? "." : directory);
  if (!recovery.empty()) {
    log::Event(log::Level::kError, "config_error").field("detail", recovery).emit();
    return 1;
  }
  config::LoadResult loaded = config::load_config(config_path_);
  if (!loaded.config) {
    for (const config::Diagnostic& d : loaded.diagnostics.all()) {
      log::Event(d.severity == config::Severity::kError ? log::Level::kError : log::Level::kWarning,
                 "config_error")
          .field("detail", d.to_string())
          .emit();
    }
    return 1;
  }
  log_warnings(loaded.diagnostics);
  const config::Config& config = *loaded.config;
  std::string log_error = apply_log_destinations(config);
  if (!log_error.empty()) {
    log::Event(log::Level::kError, "config_error").field("detail", log_error).emit();
    return 1;
  }
  log::LogWriter::instance().start(config.logging.queue_records);
  uint64_t fd_limit = raise_fd_limit();

  size_t worker_count = config.workers ? config.workers : std::thread::hardware_concurrency();
  if (worker_count == 0) worker_count = 1;
  for (size_t i = 0; i < worker_count; ++i)
    workers_.push_back(std::make_unique<Worker>(i));
  listeners_ = std::make_unique<listeners::ListenerRegistry>(worker_count);

  config::Diagnostics diagnostics;
  {
    std::lock_guard lock(apply_mutex_);
    diagnostics = apply(loaded.config);
  }
  if (diagnostics.has_errors()) {
    for (const std::string& line : error_lines(diagnostics)) {
      log::Event(log::Level::kError, "config_error").field("detail", line).emit();
    }
    log::LogWriter::instance().stop();
    return 1;
  }
  log_warnings(diagnostics);

  base_ = event_base_new();
  for (int signal_number : kControlSignals) {
    event* ev = evsignal_new(base_, signal_number, &Supervisor::on_signal, this);
    event_add(ev, nullptr);
    events_.push_back(ev);
  }
  tick_ = evtimer_new(base_, &Supervisor::on_tick, this);
  next_ticket_rotation_ms_ = steady_ms() + ticket_rotation_ms(*current());
  schedule_tick();  // the first certificate expiry check at once

  workers_running_ = workers_.size();
  for (auto& worker : workers_)
    worker->start();
  health_.start();
  if (config.admin) {
    admin_ = std::make_unique<admin::AdminHttpServer>(*this);
    std::string error = admin_->start(config);
    if (!error.empty()) {
      log::Event(log::Level::kError, "config_error").field("detail", error).emit();
      admin_.reset();
      health_.stop();
      for (auto& worker : workers_) {
        Worker* w = worker.get();
        w->post([w] { w->force_stop(); });
      }
      for (auto& worker : workers_)
        worker->join();
      log::LogWriter::instance().stop();
      return 1;
    }
  }

  std::vector<std::string> listening;
  for (const auto& service : current()->services)
    listening.push_back(service->listen.to_string());
  log::Event(log::Level::kInfo, "ready")
      .field("workers", workers_.size())
      .field("fd_limit", fd_limit)
      .field("listeners", listening)
      .field("generation", current()->generation)
      .emit();

  pthread_sigmask(SIG_UNBLOCK, &control_signals, nullptr);
  event_base_dispatch(base_);

  if (admin_) admin_->stop();
  health_.stop();
  for (auto& worker : workers_)
    worker->join();
  workers_.clear();
  log::Event(log::Level::kInfo, "shutdown_complete").emit();
  log::LogWriter::instance().stop();
  return 0;
}

void Supervisor::on_signal(evutil_socket_t signal_number, short, void* arg) {
  auto* self = static_cast<Supervisor*>(arg);
  switch (signal_number) {
    case SIGHUP:
      self->reload();
      return;
    case SIGUSR1:
      log::LogWriter::instance().request_reopen();
      log::Event(log::Level::kInfo, "logs_reopened").emit();
      return;
    default:
      self->begin_shutdown();
      return;
  }
}

void Supervisor::reload() {
  if (shutting_down_) return;
  std::lock_guard lock(apply_mutex_);
  config::LoadResult loaded = config::load_config(config_path_);
  config::Diagnostics diagnostics = loaded.diagnostics;
  if (loaded.config) {
    config::Diagnostics applied = apply(loaded.config);
    diagnostics.append(applied);
  }
  if (diagnostics.has_errors()) {
    log::Event(log::Level::kError, "config_rejected")
        .field("errors", error_lines(diagnostics))
        .field("generation", current()->generation)
        .emit();
    return;
  }
  log_warnings(diagnostics);
  log::Event(log::Level::kInfo, "config_reloaded")
      .field("generation", current()->generation)
      .emit();
  check_certificate_expiry();
}

admin::AdminBackend::Change Supervisor::change_config(std::shared_ptr<const config::Config> next,
                                                      const std::string& base_etag) {
  Change change;
  std::lock_guard lock(apply_mutex_);
  std::shared_ptr<const Snapshot> previous = current();
  if (shutting_down_ || admin::config_etag(*previous->config) != base_etag) {
    change.conflict = true;
    return change;
  }
  change.diagnostics = apply(next);
  if (change.diagnostics.has_errors()) return change;
  change.save_error = admin::save_config(*next, config_path_);
  if (!change.save_error.empty()) {
    apply(previous->config);  // not saved: not applied either
    log::Event(log::Level::kError, "config_save_failed").field("detail", change.save_error).emit();
    return change;
  }
  change.etag = admin::config_etag(*next);
  log_warnings(change.diagnostics);
  log::Event(log::Level::kInfo, "config_changed")
      .field("generation", current()->generation)
      .field("etag", change.etag)
      .emit();
  return change;
}

config::Diagnostics Supervisor::check_config(std::shared_ptr<const config::Config> next) {
  // A dry run compiles from scratch: nothing shared with the running snapshot is touched.
  config::Diagnostics diagnostics;
  build_snapshot(next, nullptr, diagnostics);
  return diagnostics;
}

void Supervisor::begin_shutdown() {
  if (shutting_down_.exchange(true)) return;
  uint32_t grace = current()->config->shutdown_grace_s;
  shutdown_deadline_ms_ = steady_ms() + uint64_t{grace} * 1000;
  log::Event(log::Level::kInfo, "shutdown_started").field("grace_s", grace).emit();
  for (auto& worker : workers_) {
    Worker* w = worker.get();
    w->post([w] { w->begin_shutdown(); });
  }
  schedule_tick();  // from now on every kShutdownPollMs
}

void Supervisor::schedule_tick() {
  uint64_t delay = control_tick_delay_ms(steady_ms(), shutting_down_, next_expiry_check_ms_,
                                         next_ticket_rotation_ms_);
  timeval tv{static_cast<time_t>(delay / 1000), static_cast<suseconds_t>(delay % 1000 * 1000)};
  event_add(tick_, &tv);  // replaces the pending deadline, if any
}

void Supervisor::on_tick(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<Supervisor*>(arg);
  uint64_t now = steady_ms();
  if (self->shutting_down_) {
    self->check_shutdown_progress();
    self->schedule_tick();
    return;
  }
  if (now >= self->next_expiry_check_ms_) {
    self->check_certificate_expiry();
    self->next_expiry_check_ms_ = now + uint64_t{3600} * 1000;
  }
  if (now >= self->next_ticket_rotation_ms_) {
    certs::SessionTicketKeys::instance().rotate();
    self->next_ticket_rotation_ms_ = now + ticket_rotation_ms(*self->current());
  }
  self->schedule_tick();
}

void Supervisor::check_certificate_expiry() {
  std::shared_ptr<const Snapshot> snapshot = current();
  if (!snapshot) return;
  time_t now = time(nullptr);
  for (const auto& service : snapshot->services) {
    if (!service->tls) continue;
    for (const certs::ServerTlsContext::Entry& entry : service->tls->entries()) {
      const certs::LoadedCertificate& certificate = *entry.certificate;
      long days = certs::days_left(certificate, now);
      int threshold = certs::expiry_threshold(days);
      int& logged = expiry_logged_[certificate.fingerprint];
      if (threshold == 0 || threshold == logged) continue;
      logged = threshold;
      log::Event(log::Level::kWarning, "certificate_expiring")
          .field("certificate", certificate.name)
          .field("virtual_service", service->name)
          .field("days_left", days)
          .field("not_after", certs::date_of(certificate.not_after))
          .field("subject", certificate.subject)
          .emit();
    }
  }
}

void Supervisor::check_shutdown_progress() {
  bool all_done = true;
  for (auto& worker : workers_) {
    if (!worker->finished()) all_done = false;
  }
  if (all_done) {
    event_base_loopexit(base_, nullptr);
    return;
  }
  if (steady_ms() >= shutdown_deadline_ms_) {
    log::Event(log::Level::kWarning, "shutdown_grace_expired").emit();
    for (auto& worker : workers_) {
      Worker* w = worker.get();
      w->post([w] { w->force_stop(); });
    }
    shutdown_deadline_ms_ = UINT64_MAX;
  }
}

}  // namespace espd::runtime
