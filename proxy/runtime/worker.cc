// One worker thread with its own event loop.
#include "proxy/runtime/worker.h"

#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>
#include <ctime>
#include <set>
#include <string>

#include "listeners/connection_refusal.h"
#include "proxy/esp/esp_log.h"
#include "proxy/log/event.h"
#include "proxy/net/io_watcher.h"
#include "proxy/net/loop_activity.h"
#include "proxy/server/connection_pool.h"

namespace espd::runtime {
namespace {

uint64_t monotonic_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<uint64_t>(now.tv_sec) * 1000000000u + static_cast<uint64_t>(now.tv_nsec);
}

}  // namespace

Worker::Worker(unsigned index) : index_(index) {
  event_config* config = event_config_new();
  // Each loop is touched by its own thread only; cross-thread work comes through the mailbox.
  event_config_set_flag(config, EVENT_BASE_FLAG_NOLOCK);
  base_ = event_base_new_with_config(config);
  event_config_free(config);
  mailbox_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  event_assign(&mailbox_event_, base_, mailbox_fd_, EV_READ | EV_PERSIST, &Worker::on_mailbox,
               this);
  event_add(&mailbox_event_, nullptr);
  event_assign(&reap_event_, base_, -1, 0, &Worker::on_reap, this);
  idle_release_timer_.init(base_, &Worker::on_idle_release, this);
  ready_queue_.init(base_);
  server_connections_ = std::make_unique<server::ConnectionPool>();
  acceptor_ = std::make_unique<listeners::Acceptor>(
      base_, [this](int fd, const net::SocketAddress& peer, const net::SocketAddress& local) {
        on_accept(fd, peer, local);
      });
}

Worker::~Worker() {
  acceptor_.reset();
  server_connections_->close_all();
  for (Deferred* object : graveyard_)
    delete object;
  graveyard_.clear();
  server_connections_.reset();
  for (Deferred* object : graveyard_)
    delete object;
  ready_queue_.close();
  event_del(&mailbox_event_);
  event_del(&reap_event_);
  idle_release_timer_.stop();
  ::close(mailbox_fd_);
  event_base_free(base_);
}

void Worker::start() {
  thread_ = std::thread([this] { run(); });
  // "worker-N" in top -H, ps -L and /proc/<pid>/task/*/comm (at most 15 characters).
  std::string name = "worker-" + std::to_string(index_);
  pthread_setname_np(thread_.native_handle(), name.c_str());
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::run() {
  for (;;) {
    if (busy_poll_us_ != 0 && !busy_poll()) break;
    // One turn: sleeps until something is ready, runs it (event_base_dispatch without the spin).
    if (event_base_loop(base_, EVLOOP_ONCE) != 0) break;
    if (event_base_got_exit(base_) || event_base_got_break(base_)) break;
  }
  // Whatever is left after a forced stop is torn down on this thread.
  while (!connections_.empty()) {
    ClientConnectionBase* connection = connections_.front();
    connections_.pop_front();
    delete connection;
  }
  for (Deferred* object : graveyard_)
    delete object;
  graveyard_.clear();
  server_connections_->close_all();
  acceptor_->stop();
  finished_.store(true);
}

bool Worker::busy_poll() {
  uint64_t seen = net::loop_activity;
  uint64_t budget_ns = uint64_t{busy_poll_us_} * 1000;
  uint64_t last_event = monotonic_ns();
  while (monotonic_ns() - last_event < budget_ns) {
    if (event_base_loop(base_, EVLOOP_NONBLOCK) != 0) return false;
    if (event_base_got_exit(base_) || event_base_got_break(base_)) return false;
    if (net::loop_activity != seen) {
      seen = net::loop_activity;
      last_event = monotonic_ns();
    }
  }
  return true;
}

void Worker::post(std::function<void()> task) {
  {
    std::lock_guard lock(mailbox_mutex_);
    mailbox_.push_back(std::move(task));
  }
  uint64_t one = 1;
  ssize_t ignored = ::write(mailbox_fd_, &one, sizeof(one));
  (void)ignored;
}

void Worker::on_mailbox(evutil_socket_t fd, short, void* arg) {
  auto* self = static_cast<Worker*>(arg);
  uint64_t count;
  ssize_t ignored = ::read(fd, &count, sizeof(count));
  (void)ignored;
  std::vector<std::function<void()>> tasks;
  {
    std::lock_guard lock(self->mailbox_mutex_);
    tasks.swap(self->mailbox_);
  }
  for (auto& task : tasks)
    task();
}

void Worker::went_idle(IdleMemoryHolder* holder) {
  // Only the first idle connection sets the timer: the others are due no earlier.
  if (idle_release_.went_idle(holder, now_ms())) arm_idle_release();
}

void Worker::arm_idle_release() {
  uint64_t due = idle_release_.next_due_ms();
  if (due == IdleReleaseQueue::kNone) {
    idle_release_timer_.cancel();
    return;
  }
  // Up to an eighth of the delay late: connections that went idle within that window go back
  // in one timer run, not one run each.
  uint64_t now = now_ms();
  idle_release_timer_.arm_ms((due > now ? due - now : 0) + idle_release_.delay_ms() / 8);
}

void Worker::on_idle_release(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<Worker*>(arg);
  if (!self->idle_release_timer_.fired()) return;
  self->idle_release_.release_due(self->now_ms());
  self->arm_idle_release();
}

uint64_t Worker::now_ms() const {
  return net::monotonic_now_ms();
}

void Worker::apply(std::shared_ptr<const Snapshot> snapshot, listeners::WorkerListeners listeners) {
  if (shutting_down_) return;
  SnapshotUse* old = snapshots_.empty() ? nullptr : &snapshots_.front();
  snapshots_.push_front(SnapshotUse{std::move(snapshot), 0});
  if (old && old->users == 0) {
    snapshots_.remove_if([old](const SnapshotUse& use) { return &use == old; });
  }
  acceptor_->update(listeners);
  const Snapshot& current = *snapshots_.front().snapshot;
  busy_poll_us_ = current.config->busy_poll_us;
  if (idle_release_.delay_ms() != current.config->idle_buffer_release_ms ||
      idle_release_.max_held() != current.config->idle_buffer_max_connections) {
    // Connections already idle are measured against the new delay (a shorter one may be due).
    idle_release_.set_limits(current.config->idle_buffer_release_ms,
                             current.config->idle_buffer_max_connections);
    idle_release_.release_due(now_ms());
    arm_idle_release();
  }
  server_connections_->drop_unused_profiles(current);
  // Sessions verified under trust configurations the new snapshot no longer has are of no use.
  std::set<uint64_t> live_contexts;
  for (const auto& service : current.services) {
    for (const Pool& pool : service->pools) {
      if (pool.tls) live_contexts.insert(pool.tls->id());
    }
  }
  upstream_sessions_.retain_contexts(live_contexts);
}

SnapshotUse* Worker::acquire_snapshot() {
  SnapshotUse& current = snapshots_.front();
  ++current.users;
  return &current;
}

void Worker::release_snapshot(SnapshotUse* use) {
  if (--use->users == 0 && use != &snapshots_.front()) {
    snapshots_.remove_if([use](const SnapshotUse& entry) { return &entry == use; });
  }
}

void Worker::on_accept(int fd, const net::SocketAddress& peer, const net::SocketAddress& local) {
  if (shutting_down_ || snapshots_.empty()) {
    ::close(fd);
    return;
  }
  const VirtualService* service = snapshots_.front().snapshot->find_by_listen(local);
  if (!service) {
    ::close(fd);
    return;
  }
  Admission admission;
  AdmissionRefusal refusal = admit(service->state, service->config->limits, peer, admission);
  if (refusal != AdmissionRefusal::kNone) {
    refuse(fd, *service, peer, refusal);
    return;
  }
  start_client_connection(*this, fd, peer, *service, acquire_snapshot(), std::move(admission));
}

void Worker::refuse(int fd, const VirtualService& service, const net::SocketAddress& peer,
                    AdmissionRefusal refusal) {
  bool plain = !service.tls;
  listeners::refuse_connection(fd, plain ? listeners::RefusalStyle::kServiceUnavailable503
                                         : listeners::RefusalStyle::kClose);
  uint64_t now = now_ms();
  if (refusal_logged_ms_ != 0 && now - refusal_logged_ms_ < 1000) {
    ++refusals_not_logged_;
    return;
  }
  std::string detail = refusal_detail(refusal, service.config->limits);
  if (refusals_not_logged_ != 0) {
    detail += "; " + std::to_string(refusals_not_logged_) + " earlier refusal(s) not logged";
  }
  esp::log_security(service.esp, service.name, peer, "connection_limit", detail, plain ? 503 : 0,
                    nullptr);
  refusal_logged_ms_ = now;
  refusals_not_logged_ = 0;
}

void Worker::add_connection(ClientConnectionBase* connection) {
  connections_.push_front(connection);
  connection->registry_position = connections_.begin();
}

void Worker::remove_connection(ClientConnectionBase* connection) {
  connection->admission.release();
  connections_.erase(connection->registry_position);
  maybe_finish_shutdown();
}

void Worker::begin_shutdown() {
  if (shutting_down_) return;
  shutting_down_ = true;
  acceptor_->stop();
  // shutdown_gracefully() may remove the connection from the list: iterate over a copy.
  std::vector<ClientConnectionBase*> current(connections_.begin(), connections_.end());
  for (ClientConnectionBase* connection : current)
    connection->shutdown_gracefully();
  maybe_finish_shutdown();
}

void Worker::maybe_finish_shutdown() {
  if (shutting_down_ && connections_.empty()) {
    server_connections_->close_all();
    event_base_loopexit(base_, nullptr);
  }
}

void Worker::force_stop() {
  event_base_loopbreak(base_);
}

void Worker::defer_delete(Deferred* object) {
  graveyard_.push_back(object);
  event_active(&reap_event_, 0, 0);
}

void Worker::on_reap(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<Worker*>(arg);
  // Deletions may defer more: those go into the other vector, for the next turn. Both vectors
  // keep their capacity, so deferring allocates nothing once the loop has warmed up.
  self->reaping_.swap(self->graveyard_);
  for (Deferred* object : self->reaping_)
    delete object;
  self->reaping_.clear();
}

}  // namespace espd::runtime
