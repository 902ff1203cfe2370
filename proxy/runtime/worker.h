// One worker thread: its own libevent loop, listening sockets, client connections, pooled
// real-server connections and buffers. Nothing here is shared with other workers except the
// immutable snapshot and the atomics of real-server state, so the data path takes no lock.
#pragma once

#include <event2/event.h>
#include <event2/event_struct.h>

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "certs/upstream_session_cache.h"
#include "listeners/acceptor.h"
#include "proxy/base/buffer_pool.h"
#include "proxy/base/idle_release_queue.h"
#include "proxy/http1/message.h"
#include "proxy/net/io_watcher.h"
#include "proxy/net/ready_queue.h"
#include "proxy/runtime/connection_admission.h"
#include "proxy/runtime/snapshot.h"

namespace espd::server {
class ConnectionPool;
}

namespace espd::runtime {

class ClientConnectionBase;

// Objects whose deletion must wait until the current callback stack has unwound.
class Deferred {
 public:
  virtual ~Deferred() = default;
};

// A snapshot as used by this worker, with a plain (non-atomic) count of its connections.
struct SnapshotUse {
  std::shared_ptr<const Snapshot> snapshot;
  uint32_t users = 0;
};

class Worker {
 public:
  explicit Worker(unsigned index);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void start();
  void join();

  // Thread-safe: runs `task` on the worker's thread.
  void post(std::function<void()> task);

  // --- the rest runs on the worker's thread only ---
  unsigned index() const { return index_; }
  event_base* base() const { return base_; }
  BufferPool& buffers() { return buffers_; }
  net::ReadyQueue& ready_queue() { return ready_queue_; }
  server::ConnectionPool& server_connections() { return *server_connections_; }
  // TLS sessions toward real servers, for resumption by this worker's next connections.
  certs::UpstreamSessionCache& upstream_sessions() { return upstream_sessions_; }
  // Reused for every request head parsed on this worker: a head is parsed and dispatched in one
  // go, so no connection needs to keep one (and its field vector) while idle.
  http1::RequestHead& request_head_scratch() { return request_head_scratch_; }
  // The normalised path of the request being dispatched (used until its head is forwarded).
  std::string& path_scratch() { return path_scratch_; }
  uint64_t now_ms() const;

  // Adopts a new snapshot and the listening sockets that go with it.
  void apply(std::shared_ptr<const Snapshot> snapshot, listeners::WorkerListeners listeners);
  // Stops accepting; idle client connections close now, busy ones after their current response.
  // The loop ends once no client connection is left.
  void begin_shutdown();
  // Ends the loop at once (after the grace period).
  void force_stop();
  bool shutting_down() const { return shutting_down_; }
  // Thread-safe: the worker's loop has ended.
  bool finished() const { return finished_.load(); }

  SnapshotUse* acquire_snapshot();
  void release_snapshot(SnapshotUse* use);

  void add_connection(ClientConnectionBase* connection);
  void remove_connection(ClientConnectionBase* connection);
  size_t connection_count() const { return connections_.size(); }

  // Deletes `object` once the loop is back at the top.
  void defer_delete(Deferred* object);

  // A client or real-server connection went idle (again): it is asked to hand back its buffers
  // once it has stayed idle for idle_buffer_release_ms (at once when that is 0).
  void went_idle(IdleMemoryHolder* holder);
  // The connection is closing: no release for it any more.
  void forget_idle(IdleMemoryHolder* holder) { idle_release_.forget(holder); }

 private:
  static void on_mailbox(evutil_socket_t fd, short what, void* arg);
  static void on_reap(evutil_socket_t fd, short what, void* arg);
  static void on_idle_release(evutil_socket_t fd, short what, void* arg);
  // Sets the idle-release timer for the oldest idle connection (a little late, to batch), or
  // clears it when none is idle.
  void arm_idle_release();
  void run();
  // Runs non-blocking loop turns for as long as events keep coming within busy_poll_us_; returns
  // when none came for that long (then run() sleeps) or the loop was told to exit.
  bool busy_poll();
  void on_accept(int fd, const net::SocketAddress& peer, const net::SocketAddress& local);
  void refuse(int fd, const VirtualService& service, const net::SocketAddress& peer,
              AdmissionRefusal refusal);
  void maybe_finish_shutdown();

  unsigned index_;
  // First member: destroyed after every connection that may still be queued in it.
  IdleReleaseQueue idle_release_;
  event_base* base_ = nullptr;
  int mailbox_fd_ = -1;
  struct event mailbox_event_;
  struct event reap_event_;
  net::Timer idle_release_timer_;
  std::mutex mailbox_mutex_;
  std::vector<std::function<void()>> mailbox_;
  std::thread thread_;

  BufferPool buffers_;
  net::ReadyQueue ready_queue_;
  http1::RequestHead request_head_scratch_;
  std::string path_scratch_;
  certs::UpstreamSessionCache upstream_sessions_;
  std::unique_ptr<server::ConnectionPool> server_connections_;
  std::unique_ptr<listeners::Acceptor> acceptor_;
  std::list<SnapshotUse> snapshots_;  // front: current
  std::list<ClientConnectionBase*> connections_;
  std::vector<Deferred*> graveyard_;
  std::vector<Deferred*> reaping_;  // being deleted by on_reap
  bool shutting_down_ = false;
  uint32_t busy_poll_us_ = 0;  // of the current snapshot
  std::atomic<bool> finished_{false};
  // Refusals are logged at most once a second per worker (a flood must not flood the log); the
  // record says how many were not logged. connections_refused counts every one.
  uint64_t refusal_logged_ms_ = 0;
  uint64_t refusals_not_logged_ = 0;
};

// What a worker needs from a client connection to manage it as a whole.
class ClientConnectionBase : public Deferred {
 public:
  // Graceful stop: close if idle, else finish the request in flight and close.
  virtual void shutdown_gracefully() = 0;
  std::list<ClientConnectionBase*>::iterator registry_position;
  Admission admission;  // released by Worker::remove_connection
};

// Creates the client connection for an accepted socket (defined by the client side).
void start_client_connection(Worker& worker, int fd, const net::SocketAddress& peer,
                             const VirtualService& service, SnapshotUse* snapshot,
                             Admission admission);

}  // namespace espd::runtime
