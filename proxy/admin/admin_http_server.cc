// The admin API's HTTP/1.1 server.
#include "proxy/admin/admin_http_server.h"

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "listeners/listening_socket.h"
#include "proxy/admin/admin_http_codec.h"
#include "proxy/log/event.h"
#include "proxy/net/transport.h"

namespace espd::admin {
namespace {

constexpr uint64_t kIdleTimeoutMs = 60000;

uint64_t wall_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

// One admin client connection: TLS handshake, then requests one at a time.
class AdminConnection {
 public:
  AdminConnection(AdminHttpServer& server, int fd, SSL* ssl, std::string client)
      : server_(server), transport_(fd, ssl), client_(std::move(client)) {
    event_assign(&event_, server.base(), fd, EV_READ | EV_PERSIST, &AdminConnection::on_event,
                 this);
    event_add(&event_, nullptr);
    evtimer_assign(&timer_, server.base(), &AdminConnection::on_timer, this);
    arm_timer();
    handshaking_ = ssl != nullptr;
  }
  ~AdminConnection() {
    event_del(&event_);
    evtimer_del(&timer_);
  }

 private:
  static void on_event(evutil_socket_t, short what, void* arg) {
    static_cast<AdminConnection*>(arg)->handle(what);
  }
  static void on_timer(evutil_socket_t, short, void* arg) {
    auto* self = static_cast<AdminConnection*>(arg);
    self->server_.forget(self);
  }
  void arm_timer() {
    timeval tv{static_cast<time_t>(kIdleTimeoutMs / 1000), 0};
    evtimer_add(&timer_, &tv);
  }
  void watch(short events) {
    event_del(&event_);
    event_assign(&event_, server_.base(), transport_.fd(), events | EV_PERSIST,
                 &AdminConnection::on_event, this);
    event_add(&event_, nullptr);
  }

  void handle(short) {
    arm_timer();
    if (handshaking_) {
      net::IoResult result = transport_.handshake();
      if (result.status == net::IoStatus::kWantRead) return watch(EV_READ);
      if (result.status == net::IoStatus::kWantWrite) return watch(EV_WRITE);
      if (result.status != net::IoStatus::kOk) return server_.forget(this);
      handshaking_ = false;
      watch(EV_READ);
    }
    if (!output_.empty()) {
      Flush result = flush();
      if (result != Flush::kDone) return;
      if (close_after_) return server_.forget(this);
    }
    for (;;) {
      char buffer[16384];
      net::IoResult result = transport_.read(buffer, sizeof(buffer));
      if (result.status == net::IoStatus::kWantRead) break;
      if (result.status == net::IoStatus::kWantWrite) return watch(EV_WRITE);
      if (result.status != net::IoStatus::kOk) return server_.forget(this);
      input_.append(buffer, result.bytes);
      if (input_.size() > kAdminMaxHeadBytes + server_.max_request_bytes()) break;
    }
    process();
  }

  void process() {
    while (output_.empty()) {
      AdminRead read = read_admin_request(input_, server_.max_request_bytes(), client_);
      if (read.status == AdminRead::Status::kIncomplete) return;
      if (read.status == AdminRead::Status::kRefused) {
        respond(read.refusal, true);
        return;
      }
      input_.erase(0, read.consumed);
      if (!respond(server_.serve(read.request), read.close)) return;
    }
  }

  // Queues and writes a response. Returns false when the connection is gone (deleted).
  bool respond(const AdminResponse& response, bool close) {
    output_ += serialize_admin_response(response, close);
    close_after_ = close_after_ || close;
    Flush result = flush();
    if (result == Flush::kGone) return false;
    if (result == Flush::kDone && close_after_) {
      server_.forget(this);
      return false;
    }
    return true;
  }

  enum class Flush { kDone, kBlocked, kGone };
  // Writes what it can. kGone: the connection failed and was deleted: touch nothing.
  Flush flush() {
    while (!output_.empty()) {
      net::IoResult result = transport_.write(output_.data(), output_.size());
      if (result.status == net::IoStatus::kWantWrite || result.status == net::IoStatus::kWantRead) {
        watch(EV_WRITE);
        return Flush::kBlocked;
      }
      if (result.status != net::IoStatus::kOk) {
        server_.forget(this);
        return Flush::kGone;
      }
      output_.erase(0, result.bytes);
    }
    watch(EV_READ);
    return Flush::kDone;
  }

  AdminHttpServer& server_;
  net::Transport transport_;
  std::string client_;
  struct event event_;
  struct event timer_;
  std::string input_;
  std::string output_;
  bool handshaking_ = false;
  bool close_after_ = false;
};

AdminHttpServer::AdminHttpServer(AdminBackend& backend) : backend_(backend), api_(backend) {}

AdminHttpServer::~AdminHttpServer() {
  stop();
}

std::string AdminHttpServer::start(const config::Config& config) {
  const config::AdminConfig& admin = *config.admin;
  std::string error =
      auth_.load(config.resolve_path(admin.token_file), admin.auth_failures_per_minute);
  if (!error.empty()) return error;
  max_request_bytes_ = admin.max_request_bytes;
  if (!admin.certificates.empty()) {
    config::TlsListenerConfig tls;
    tls.certificates = admin.certificates;
    tls.alpn = {"http/1.1"};
    config::Diagnostics diagnostics;
    tls_ = certs::ServerTlsContext::create(config, tls, "", "/admin", diagnostics);
    if (!tls_) {
      return diagnostics.all().empty() ? "cannot set up TLS for the admin API"
                                       : diagnostics.all().front().to_string();
    }
  }
  auto address = net::parse_socket_address(admin.listen);
  if (!address) return "invalid admin listen address " + admin.listen;
  listen_fd_ = listeners::open_listening_socket(*address, error);
  if (listen_fd_ < 0) return "admin API: " + error;
  event_config* event_config = event_config_new();
  event_config_set_flag(event_config, EVENT_BASE_FLAG_NOLOCK);
  base_ = event_base_new_with_config(event_config);
  event_config_free(event_config);
  stop_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  event_assign(&accept_event_, base_, listen_fd_, EV_READ | EV_PERSIST, &AdminHttpServer::on_accept,
               this);
  event_add(&accept_event_, nullptr);
  event_assign(&stop_event_, base_, stop_fd_, EV_READ, &AdminHttpServer::on_stop, this);
  event_add(&stop_event_, nullptr);
  started_ = true;
  thread_ = std::thread([this] { event_base_dispatch(base_); });
  log::Event(log::Level::kInfo, "admin_api_listening")
      .field("listen", address->to_string())
      .field("tls", tls_ != nullptr)
      .emit();
  return {};
}

void AdminHttpServer::stop() {
  if (!started_) return;
  started_ = false;
  uint64_t one = 1;
  ssize_t ignored = ::write(stop_fd_, &one, sizeof(one));
  (void)ignored;
  thread_.join();
  for (AdminConnection* connection : connections_)
    delete connection;
  connections_.clear();
  event_del(&accept_event_);
  event_del(&stop_event_);
  ::close(listen_fd_);
  ::close(stop_fd_);
  event_base_free(base_);
}

void AdminHttpServer::on_stop(evutil_socket_t, short, void* arg) {
  event_base_loopbreak(static_cast<AdminHttpServer*>(arg)->base_);
}

void AdminHttpServer::on_accept(evutil_socket_t fd, short, void* arg) {
  auto* self = static_cast<AdminHttpServer*>(arg);
  for (int i = 0; i < 16; ++i) {
    sockaddr_storage peer{};
    socklen_t length = sizeof(peer);
    int client =
        ::accept4(fd, reinterpret_cast<sockaddr*>(&peer), &length, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (client < 0) return;
    SSL* ssl = self->tls_ ? self->tls_->new_ssl(client) : nullptr;
    if (self->tls_ && !ssl) {
      ::close(client);
      continue;
    }
    std::string address =
        net::from_sockaddr(reinterpret_cast<sockaddr*>(&peer), length).ip_string();
    self->connections_.insert(new AdminConnection(*self, client, ssl, address));
  }
}

void AdminHttpServer::forget(AdminConnection* connection) {
  if (connections_.erase(connection)) delete connection;
}

AdminResponse AdminHttpServer::serve(const AdminRequest& request) {
  AdminAuth::Result auth = auth_.check(request.header("authorization"), request.client, wall_ms());
  if (auth == AdminAuth::Result::kRateLimited) {
    AdminResponse response =
        error_response(429, "too many failed authentications from this address");
    response.headers.emplace_back("Retry-After", "60");
    return response;
  }
  if (auth == AdminAuth::Result::kUnauthorized) {
    log::Event(log::Level::kWarning, "admin_auth_failed").field("client", request.client).emit();
    AdminResponse response =
        error_response(401, "a valid \"Authorization: Bearer <token>\" is required");
    response.headers.emplace_back("WWW-Authenticate", "Bearer");
    return response;
  }
  AdminResponse response;
  try {
    response = api_.handle(request);
  } catch (const std::exception& error) {
    // A bug in a handler must never take the proxy down: answer 500 and say what happened.
    log::Event(log::Level::kError, "admin_api_error")
        .field("method", request.method)
        .field("path", request.path)
        .field("detail", error.what())
        .emit();
    response = error_response(500, "internal error while handling the request");
  }
  if (request.method != "GET" && request.method != "HEAD") {
    log::JsonLine line("audit");
    line.field("client", request.client)
        .field("method", request.method)
        .field("path", request.path)
        .field("status", response.status);
    for (const auto& [name, value] : response.headers) {
      if (name == "ETag") line.field("etag", value);
    }
    log::LogWriter::instance().submit(log::Stream::kAudit, line.finish());
  }
  return response;
}

}  // namespace espd::admin
