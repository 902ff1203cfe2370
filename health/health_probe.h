// One real server's health check: every interval, an HTTP(S) GET of the check URL on the checked
// port, with the same certificate verification as traffic; the answer's status decides.
#pragma once

#include <event2/event.h>
#include <event2/event_struct.h>

#include <memory>
#include <string>

#include "certs/upstream_tls_context.h"
#include "proxy/base/buffer_pool.h"
#include "proxy/base/io_buffer.h"
#include "proxy/config/config_model.h"
#include "proxy/net/socket_address.h"
#include "proxy/net/transport.h"
#include "proxy/runtime/real_server_state.h"

namespace espd::health {

// What a probe needs to know; replaced when the configuration changes (taking effect at the
// next check).
struct ProbeTarget {
  std::string virtual_service;
  std::string pool;
  std::string label;           // "10.154.201.2:4443" (the traffic address, for logs)
  net::SocketAddress address;  // the checked address and port
  std::shared_ptr<certs::UpstreamTlsContext> tls;  // null: plain HTTP
  std::string verify_name;
  std::string host;  // Host header
  config::HealthCheckConfig check;
};

class HealthProbe {
 public:
  HealthProbe(event_base* base, BufferPool& buffers,
              std::shared_ptr<runtime::RealServerState> state, ProbeTarget target,
              uint64_t first_delay_ms);
  ~HealthProbe();
  HealthProbe(const HealthProbe&) = delete;
  HealthProbe& operator=(const HealthProbe&) = delete;

  void retarget(ProbeTarget target) { target_ = std::move(target); }
  const std::shared_ptr<runtime::RealServerState>& state() const { return state_; }

 private:
  enum class Phase : uint8_t { kWaiting, kConnecting, kHandshaking, kSending, kReading };

  static void on_timer(evutil_socket_t, short, void* arg);
  static void on_io(evutil_socket_t, short, void* arg);
  void start_check();
  void step();
  void finish(bool ok, std::string result);
  void watch(short events);
  void close_connection();

  event_base* base_;
  BufferPool& buffers_;
  std::shared_ptr<runtime::RealServerState> state_;
  ProbeTarget target_;
  struct event timer_;
  struct event io_;
  bool io_added_ = false;
  net::Transport transport_;
  std::string request_;
  size_t sent_ = 0;
  IoBuffer response_;
  Phase phase_ = Phase::kWaiting;
  uint32_t successes_ = 0;
  uint32_t failures_ = 0;
};

}  // namespace espd::health
