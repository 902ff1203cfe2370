// The health-check thread.
#include "health/health_checker.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <set>

namespace espd::health {
namespace {

ProbeTarget make_target(const runtime::VirtualService& service, const runtime::Pool& pool,
                        const runtime::RealServer& server) {
  const config::HealthCheckConfig& check = pool.config->health_check;
  ProbeTarget target;
  target.virtual_service = service.name;
  target.pool = pool.name;
  target.label = server.label;
  target.address = server.address;
  if (check.port) {
    auto address = net::make_socket_address(server.address.ip_string(), *check.port);
    if (address) target.address = *address;
  }
  target.tls = pool.tls;
  // Verified like traffic: the configured check name, else the pool's server name, else the IP.
  target.verify_name = !check.server_name.empty() ? check.server_name : server.verify_name;
  std::string host = !check.host.empty() ? check.host : target.verify_name;
  if (host.find(':') != std::string::npos && host.front() != '[') host = "[" + host + "]";
  target.host = host;
  target.check = check;
  return target;
}

}  // namespace

HealthChecker::HealthChecker() {
  event_config* config = event_config_new();
  event_config_set_flag(config, EVENT_BASE_FLAG_NOLOCK);
  base_ = event_base_new_with_config(config);
  event_config_free(config);
  mailbox_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  event_assign(&mailbox_event_, base_, mailbox_fd_, EV_READ | EV_PERSIST,
               &HealthChecker::on_mailbox, this);
  event_add(&mailbox_event_, nullptr);
}

HealthChecker::~HealthChecker() {
  stop();
  probes_.clear();
  event_del(&mailbox_event_);
  ::close(mailbox_fd_);
  event_base_free(base_);
}

void HealthChecker::start() {
  thread_ = std::thread([this] { event_base_dispatch(base_); });
}

void HealthChecker::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  uint64_t one = 1;
  ssize_t ignored = ::write(mailbox_fd_, &one, sizeof(one));
  (void)ignored;
  if (thread_.joinable()) thread_.join();
  probes_.clear();
}

void HealthChecker::update(std::shared_ptr<const runtime::Snapshot> snapshot) {
  {
    std::lock_guard lock(mutex_);
    pending_ = std::move(snapshot);
  }
  uint64_t one = 1;
  ssize_t ignored = ::write(mailbox_fd_, &one, sizeof(one));
  (void)ignored;
}

void HealthChecker::on_mailbox(evutil_socket_t fd, short, void* arg) {
  auto* self = static_cast<HealthChecker*>(arg);
  uint64_t count;
  ssize_t ignored = ::read(fd, &count, sizeof(count));
  (void)ignored;
  std::shared_ptr<const runtime::Snapshot> snapshot;
  {
    std::lock_guard lock(self->mutex_);
    if (self->stopping_) {
      self->probes_.clear();
      event_base_loopbreak(self->base_);
      return;
    }
    snapshot = std::move(self->pending_);
  }
  if (snapshot) self->reconcile(*snapshot);
}

void HealthChecker::reconcile(const runtime::Snapshot& snapshot) {
  std::set<runtime::RealServerState*> wanted;
  for (const auto& service : snapshot.services) {
    for (const runtime::Pool& pool : service->pools) {
      const config::HealthCheckConfig& check = pool.config->health_check;
      size_t count = pool.servers.size();
      for (size_t i = 0; i < count; ++i) {
        const runtime::RealServer& server = pool.servers[i];
        runtime::RealServerState* state = server.state.get();
        if (!check.enabled) continue;
        wanted.insert(state);
        ProbeTarget target = make_target(*service, pool, server);
        auto existing = probes_.find(state);
        if (existing != probes_.end()) {
          existing->second->retarget(std::move(target));
          continue;
        }
        // Spread the pool's first checks over the interval rather than all at once.
        uint64_t delay = uint64_t{check.interval_s} * 1000 * i / count;
        probes_[state] =
            std::make_unique<HealthProbe>(base_, buffers_, server.state, std::move(target), delay);
      }
    }
  }
  for (auto it = probes_.begin(); it != probes_.end();) {
    if (wanted.count(it->first)) {
      ++it;
      continue;
    }
    // No longer checked: nothing will bring it back up, so it is up.
    it->second->state()->health.store(runtime::Health::kUp);
    it = probes_.erase(it);
  }
}

}  // namespace espd::health
