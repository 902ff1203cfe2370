// The health-check thread: one HealthProbe per checked real server, on its own event loop, so
// probes never touch a worker. Workers see the outcome through RealServerState::health.
#pragma once

#include <event2/event.h>
#include <event2/event_struct.h>

#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "health/health_probe.h"
#include "proxy/base/buffer_pool.h"
#include "proxy/runtime/snapshot.h"

namespace espd::health {

class HealthChecker {
 public:
  HealthChecker();
  ~HealthChecker();
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  void start();
  void stop();
  // Thread-safe: probe what `snapshot` asks for from now on (probes of real servers that stay
  // keep their counters; new ones start spread over their interval).
  void update(std::shared_ptr<const runtime::Snapshot> snapshot);

 private:
  static void on_mailbox(evutil_socket_t fd, short what, void* arg);
  void reconcile(const runtime::Snapshot& snapshot);

  event_base* base_ = nullptr;
  int mailbox_fd_ = -1;
  struct event mailbox_event_;
  std::thread thread_;
  std::mutex mutex_;
  std::shared_ptr<const runtime::Snapshot> pending_;
  bool stopping_ = false;
  BufferPool buffers_{64};
  std::map<runtime::RealServerState*, std::unique_ptr<HealthProbe>> probes_;
};

}  // namespace espd::health
