// One connection to a real server: connect, TLS with verification, write a request, parse and
// relay the response with back-pressure; between requests it waits in the worker's pool.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "certs/upstream_tls_context.h"
#include "proxy/base/intrusive_list.h"
#include "proxy/base/io_buffer.h"
#include "proxy/exchange/pending_body.h"
#include "proxy/http1/chunked_decoder.h"
#include "proxy/http1/response_parser.h"
#include "proxy/net/io_watcher.h"
#include "proxy/net/output_channel.h"
#include "proxy/net/socket_address.h"
#include "proxy/net/transport.h"
#include "proxy/runtime/worker.h"

namespace espd::server {

enum class ServerFailure : uint8_t {
  kConnect,               // TCP connect failed
  kTls,                   // handshake or certificate verification failed
  kWrite,                 // sending the request failed
  kClosedBeforeResponse,  // closed before any response byte (a reused connection may do that)
  kBadResponse,           // unparsable or invalid response
  kClosedMidResponse,     // closed before the response body ended
  kReadError,
};
const char* failure_reason(ServerFailure failure);

class RealServerConnection final : public runtime::Deferred, public IdleMemoryHolder {
 public:
  // Who is using the connection for one exchange. Callbacks happen from the connection's event
  // handler; the owner may call release()/close() from inside them.
  class Owner {
   public:
    virtual ~Owner() = default;
    virtual void on_server_connected() = 0;
    virtual void on_server_writable() = 0;  // queued request bytes were written
    virtual void on_interim_response(const http1::ResponseHead& head) = 0;
    virtual void on_response_head(const http1::ResponseHead& head) = 0;
    // At most exchange::kMaxBodyPiece bytes. false: not taken now; the connection pauses until
    // resume_response() and then offers the same bytes again.
    virtual bool on_response_body(std::string_view data) = 0;
    virtual void on_response_end(std::string_view trailers) = 0;
    virtual void on_server_failure(ServerFailure failure, const std::string& detail) = 0;
  };

  // Starts connecting. Never fails synchronously: errors arrive as on_server_failure.
  static RealServerConnection* open(runtime::Worker& worker,
                                    std::shared_ptr<certs::UpstreamTlsContext> tls,
                                    const net::SocketAddress& address, std::string verify_name,
                                    size_t max_response_head_bytes);

  // Starts an exchange on this connection (new, or taken from the pool).
  void attach(Owner* owner, bool request_is_head);
  bool connected() const { return state_ == State::kActive; }
  bool reused() const { return requests_ > 1; }
  // The TLS handshake resumed a cached session (no certificate sent and verified again).
  bool tls_resumed() const;
  bool response_started() const { return any_response_byte_; }

  // Request bytes. queue() copies (heads, framing); offer_body() may write straight from the
  // caller's buffer. Both return false when the caller must wait for on_server_writable().
  bool queue(std::string_view bytes);
  bool offer_body(std::string_view bytes);
  bool offer_framed(std::string_view prefix, std::string_view data, std::string_view suffix);
  void flush();
  void request_complete() { request_complete_ = true; }

  void resume_response();

  // Whether it may carry another request after the current response ended.
  bool reusable() const;
  // Ends the exchange: back to the worker's pool if reusable (else closed), or closed.
  void release(size_t max_idle, uint64_t idle_timeout_ms);
  void close();

  const certs::UpstreamTlsContext* tls() const { return tls_.get(); }
  const net::SocketAddress& address() const { return address_; }

  // Pool bookkeeping (ConnectionPool): its place in an idle list, and which list.
  void enter_pool(uint64_t idle_timeout_ms);
  void leave_pool();
  // IdleMemoryHolder: pooled for the configured delay, the TLS record buffers go back.
  void release_idle_memory() override;
  ListLink pool_link;
  using IdleList = IntrusiveList<RealServerConnection, &RealServerConnection::pool_link>;
  IdleList* pool_list = nullptr;

 private:
  enum class State : uint8_t { kConnecting, kHandshaking, kActive, kIdle, kClosed };
  enum class Phase : uint8_t { kHead, kBody, kDone };
  enum class PendingAction : uint8_t { kNone, kRelease, kClose };

  RealServerConnection(runtime::Worker& worker, std::shared_ptr<certs::UpstreamTlsContext> tls,
                       const net::SocketAddress& address, std::string verify_name,
                       size_t max_response_head_bytes);
  ~RealServerConnection() override;

  static void on_event(evutil_socket_t fd, short what, void* arg);
  static void on_idle_timeout(evutil_socket_t fd, short what, void* arg);
  void handle(short what);
  void finish_connect();
  void step_handshake();
  void read_response();
  void deliver();
  void finish_response();
  void on_eof();
  void fail(ServerFailure failure, std::string detail);
  void update_write_interest();
  void run_deferred();
  void do_release();
  void do_close();

  runtime::Worker& worker_;
  std::shared_ptr<certs::UpstreamTlsContext> tls_;
  net::SocketAddress address_;
  std::string verify_name_;
  certs::UpstreamSessionSlot session_slot_;  // outlives the SSL in transport_
  net::Transport transport_;
  net::IoWatcher io_;
  net::Timer idle_timer_;
  net::OutputChannel out_;
  IoBuffer in_;
  http1::ResponseParser parser_;
  http1::ResponseHead head_;
  http1::ChunkedDecoder chunked_;
  exchange::PendingBody pending_;
  std::string trailers_;
  Owner* owner_ = nullptr;
  size_t max_head_bytes_;
  uint64_t remaining_ = 0;
  size_t release_max_idle_ = 0;
  uint64_t release_idle_timeout_ms_ = 0;
  int connect_errno_ = 0;
  uint32_t requests_ = 0;
  State state_ = State::kConnecting;
  Phase phase_ = Phase::kHead;
  http1::BodyKind body_kind_ = http1::BodyKind::kNone;
  PendingAction pending_action_ = PendingAction::kNone;
  bool in_callback_ = false;
  bool request_is_head_ = false;
  bool request_complete_ = false;
  bool any_response_byte_ = false;
  bool paused_ = false;
  bool eof_seen_ = false;
  bool must_close_ = false;  // server said close, sent extra bytes, or the exchange ended early
};

}  // namespace espd::server
