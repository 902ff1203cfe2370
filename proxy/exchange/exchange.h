// One request forwarded to one real server and its response relayed back: picks or opens the
// connection, streams both bodies with back-pressure, applies the timeouts, keeps the counters.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "proxy/base/io_buffer.h"
#include "proxy/exchange/exchange_client.h"
#include "proxy/net/io_watcher.h"
#include "proxy/persistence/server_choice.h"
#include "proxy/runtime/snapshot.h"
#include "proxy/runtime/worker.h"
#include "proxy/server/real_server_connection.h"

namespace espd::exchange {

struct ExchangeRequest {
  bool is_head = false;
  bool idempotent = false;                        // GET, HEAD, OPTIONS, PUT, DELETE, TRACE
  http1::BodyKind body = http1::BodyKind::kNone;  // kNone, kContentLength or kChunked
};

// How long a real server is skipped after a failed connect when its pool has no health check.
inline constexpr uint64_t kPassiveBackoffMs = 10000;

class Exchange final : public server::RealServerConnection::Owner, public runtime::Deferred {
 public:
  Exchange(runtime::Worker& worker, ExchangeClient& client, const runtime::VirtualService& service,
           const runtime::Pool& pool, persistence::ServerChoice choice,
           const net::SocketAddress& client_address, ExchangeRequest request);
  ~Exchange() override;
  // One exchange per request: their memory is recycled by each worker thread.
  static void* operator new(size_t size);
  static void operator delete(void* block, size_t size);

  // `head` is the request head exactly as the real server must receive it.
  void start(std::string_view head);
  // At most kMaxBodyPiece bytes (not yet framed). false: wait for on_request_body_drained().
  bool offer_request_body(std::string_view data);
  void end_request_body();
  void resume_response();
  // The client side is gone: close the real-server connection (never pooled mid-response).
  void abort();

  const runtime::RealServer& server() const { return *server_; }
  // Fields espd adds to the response (the persistence cookie): complete "Name: value\r\n" lines.
  std::string_view response_fields() const { return choice_.set_cookie; }
  const char* persistence_decision() const { return choice_.decision; }
  const runtime::Pool& pool() const { return pool_; }
  uint64_t bytes_to_server() const { return bytes_to_server_; }
  uint64_t bytes_from_server() const { return bytes_from_server_; }
  bool finished() const { return state_ == State::kFinished; }

 private:
  enum class State : uint8_t { kConnecting, kForwarding, kFinished };

  // RealServerConnection::Owner
  void on_server_connected() override;
  void on_server_writable() override;
  void on_interim_response(const http1::ResponseHead& head) override;
  void on_response_head(const http1::ResponseHead& head) override;
  bool on_response_body(std::string_view data) override;
  void on_response_end(std::string_view trailers) override;
  void on_server_failure(server::ServerFailure failure, const std::string& detail) override;

  static void on_timer(evutil_socket_t fd, short what, void* arg);
  void attach_connection();
  void touch() { last_activity_ms_ = worker_.now_ms(); }
  void arm_timer();
  void finish();
  void fail(uint16_t status, std::string_view reason, const std::string& detail);
  // The connection failed before any request byte reached the server: try another one (once).
  bool retry_on_another_server();
  void note_connect_failure();
  void count_start();

  runtime::Worker& worker_;
  ExchangeClient& client_;
  const runtime::VirtualService& service_;
  const runtime::Pool& pool_;
  const runtime::RealServer* server_;
  persistence::ServerChoice choice_;
  net::SocketAddress client_address_;
  ExchangeRequest request_;
  server::RealServerConnection* connection_ = nullptr;
  IoBuffer head_;  // kept until the response starts, to replay on a fresh connection
  net::Timer timer_;
  uint64_t started_ms_ = 0;
  uint64_t last_activity_ms_ = 0;
  uint64_t bytes_to_server_ = 0;
  uint64_t bytes_from_server_ = 0;
  State state_ = State::kConnecting;
  bool request_body_started_ = false;
  bool request_done_ = false;
  bool response_started_ = false;
  bool retried_ = false;
  bool reused_connection_ = false;
  bool counted_ = false;
};

}  // namespace espd::exchange
