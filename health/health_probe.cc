// One real server's health check.
#include "health/health_probe.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "proxy/http1/response_parser.h"
#include "proxy/log/event.h"

namespace espd::health {
namespace {

uint64_t wall_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

void arm(struct event* ev, uint64_t ms) {
  timeval tv{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
  evtimer_add(ev, &tv);
}

constexpr size_t kMaxResponseHead = 16384;

}  // namespace

HealthProbe::HealthProbe(event_base* base, BufferPool& buffers,
                         std::shared_ptr<runtime::RealServerState> state, ProbeTarget target,
                         uint64_t first_delay_ms)
    : base_(base), buffers_(buffers), state_(std::move(state)), target_(std::move(target)) {
  evtimer_assign(&timer_, base_, &HealthProbe::on_timer, this);
  arm(&timer_, first_delay_ms);
}

HealthProbe::~HealthProbe() {
  evtimer_del(&timer_);
  close_connection();
}

void HealthProbe::close_connection() {
  if (io_added_) {
    event_del(&io_);
    io_added_ = false;
  }
  transport_.close();
  response_.reset();
}

void HealthProbe::watch(short events) {
  if (io_added_) event_del(&io_);
  event_assign(&io_, base_, transport_.fd(), events, &HealthProbe::on_io, this);
  event_add(&io_, nullptr);
  io_added_ = true;
}

void HealthProbe::on_timer(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<HealthProbe*>(arg);
  if (self->phase_ == Phase::kWaiting) {
    self->start_check();
  } else {
    self->finish(false, "timeout after " + std::to_string(self->target_.check.timeout_s) + " s");
  }
}

void HealthProbe::on_io(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<HealthProbe*>(arg);
  self->io_added_ = false;  // not persistent: re-added by watch() as needed
  self->step();
}

void HealthProbe::start_check() {
  const ProbeTarget& t = target_;
  request_ = "GET " + t.check.url + " HTTP/1.1\r\nHost: " + t.host +
             "\r\nUser-Agent: espd-health-check\r\nAccept: */*\r\nConnection: close\r\n\r\n";
  sent_ = 0;
  int fd = ::socket(t.address.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    finish(false, std::string("socket: ") + std::strerror(errno));
    return;
  }
  transport_ = net::Transport(fd, nullptr);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  arm(&timer_, uint64_t{t.check.timeout_s} * 1000);
  if (::connect(fd, t.address.sockaddr_ptr(), t.address.length) != 0 && errno != EINPROGRESS) {
    finish(false, std::string("connect: ") + std::strerror(errno));
    return;
  }
  phase_ = Phase::kConnecting;
  watch(EV_WRITE);
}

void HealthProbe::step() {
  for (;;) {
    switch (phase_) {
      case Phase::kWaiting:
        return;
      case Phase::kConnecting: {
        int error = 0;
        socklen_t length = sizeof(error);
        getsockopt(transport_.fd(), SOL_SOCKET, SO_ERROR, &error, &length);
        if (error != 0) {
          finish(false, std::string("connect: ") + std::strerror(error));
          return;
        }
        if (target_.tls) {
          SSL* ssl = target_.tls->new_ssl(transport_.fd(), target_.verify_name);
          if (!ssl) {
            finish(false, "TLS: cannot create a session");
            return;
          }
          transport_.attach_ssl(ssl);
          phase_ = Phase::kHandshaking;
        } else {
          phase_ = Phase::kSending;
        }
        continue;
      }
      case Phase::kHandshaking: {
        net::IoResult result = transport_.handshake();
        if (result.status == net::IoStatus::kWantRead) return watch(EV_READ);
        if (result.status == net::IoStatus::kWantWrite) return watch(EV_WRITE);
        if (result.status != net::IoStatus::kOk) {
          long verify = SSL_get_verify_result(transport_.ssl());
          finish(false, verify != X509_V_OK
                            ? std::string("TLS: certificate verification failed: ") +
                                  X509_verify_cert_error_string(verify)
                            : "TLS: " + transport_.error_text());
          return;
        }
        phase_ = Phase::kSending;
        continue;
      }
      case Phase::kSending: {
        net::IoResult result = transport_.write(request_.data() + sent_, request_.size() - sent_);
        if (result.status == net::IoStatus::kWantRead) return watch(EV_READ);
        if (result.status == net::IoStatus::kWantWrite) return watch(EV_WRITE);
        if (result.status != net::IoStatus::kOk) {
          finish(false, "send: " + transport_.error_text());
          return;
        }
        sent_ += result.bytes;
        if (sent_ < request_.size()) continue;
        phase_ = Phase::kReading;
        continue;
      }
      case Phase::kReading: {
        response_.ensure(buffers_);
        if (response_.tail_room() == 0) {
          finish(false, "response head larger than 16 KiB");
          return;
        }
        std::span<char> space = response_.writable();
        net::IoResult result = transport_.read(space.data(), space.size());
        if (result.status == net::IoStatus::kWantRead) return watch(EV_READ);
        if (result.status == net::IoStatus::kWantWrite) return watch(EV_WRITE);
        if (result.status != net::IoStatus::kOk) {
          finish(false, result.status == net::IoStatus::kEof ? "closed without a response"
                                                             : "read: " + transport_.error_text());
          return;
        }
        response_.commit(result.bytes);
        http1::ResponseParser parser(http1::ResponseLimits{kMaxResponseHead, 200});
        http1::ResponseHead head;
        http1::ParseStatus status = parser.parse(response_.readable(), false, head);
        if (status == http1::ParseStatus::kIncomplete) continue;
        if (status == http1::ParseStatus::kError) {
          finish(false, std::string("invalid response: ") + http1::error_reason(parser.error()));
          return;
        }
        const std::vector<uint16_t>& expected = target_.check.expect_status;
        bool ok = std::find(expected.begin(), expected.end(), head.status) != expected.end();
        finish(ok, "status " + std::to_string(head.status));
        return;
      }
    }
  }
}

void HealthProbe::finish(bool ok, std::string result) {
  close_connection();
  phase_ = Phase::kWaiting;
  evtimer_del(&timer_);
  if (ok) {
    ++successes_;
    failures_ = 0;
  } else {
    ++failures_;
    successes_ = 0;
  }
  uint32_t needed = target_.check.retries;
  runtime::Health health = state_->health.load();
  runtime::Health next = health;
  if (health == runtime::Health::kUp && failures_ >= needed) next = runtime::Health::kDown;
  if (health == runtime::Health::kDown && successes_ >= needed) next = runtime::Health::kUp;
  if (next != health) {
    state_->health.store(next);
    log::Event(next == runtime::Health::kDown ? log::Level::kWarning : log::Level::kInfo,
               next == runtime::Health::kDown ? "real_server_down" : "real_server_up")
        .field("virtual_service", target_.virtual_service)
        .field("pool", target_.pool)
        .field("real_server", target_.label)
        .field("checked", target_.address.to_string() + target_.check.url)
        .field("result", result)
        .field("consecutive", ok ? successes_ : failures_)
        .emit();
  }
  runtime::RealServerState::CheckReport report;
  report.checked = true;
  report.ok = ok;
  report.result = std::move(result);
  report.time_ms = wall_ms();
  report.consecutive = ok ? successes_ : failures_;
  state_->set_report(std::move(report));
  arm(&timer_, uint64_t{target_.check.interval_s} * 1000);
}

}  // namespace espd::health
