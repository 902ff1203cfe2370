// The admin API's HTTP/1.1 server: its own thread and event loop (never a worker's), plain on
// loopback or TLS with admin.certificates, bearer-token authentication, an audit record per write.
#pragma once

#include <event2/event.h>
#include <event2/event_struct.h>

#include <memory>
#include <set>
#include <string>
#include <thread>

#include "certs/server_tls_context.h"
#include "proxy/admin/admin_api.h"
#include "proxy/admin/admin_auth.h"
#include "proxy/config/config_model.h"

namespace espd::admin {

class AdminConnection;

class AdminHttpServer {
 public:
  explicit AdminHttpServer(AdminBackend& backend);
  ~AdminHttpServer();
  AdminHttpServer(const AdminHttpServer&) = delete;
  AdminHttpServer& operator=(const AdminHttpServer&) = delete;

  // Binds admin.listen and starts the thread. Returns "" or the error (nothing started then).
  std::string start(const config::Config& config);
  void stop();

  // Used by connections (admin thread).
  AdminResponse serve(const AdminRequest& request);
  event_base* base() const { return base_; }
  size_t max_request_bytes() const { return max_request_bytes_; }
  void forget(AdminConnection* connection);

 private:
  static void on_accept(evutil_socket_t fd, short what, void* arg);
  static void on_stop(evutil_socket_t fd, short what, void* arg);

  AdminBackend& backend_;
  AdminApi api_;
  AdminAuth auth_;
  std::shared_ptr<certs::ServerTlsContext> tls_;
  event_base* base_ = nullptr;
  int listen_fd_ = -1;
  int stop_fd_ = -1;
  struct event accept_event_;
  struct event stop_event_;
  std::thread thread_;
  size_t max_request_bytes_ = 8 << 20;
  std::set<AdminConnection*> connections_;
  bool started_ = false;
};

}  // namespace espd::admin
