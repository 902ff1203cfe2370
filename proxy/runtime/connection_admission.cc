// Admission of accepted client connections against the connection limits.
#include "proxy/runtime/connection_admission.h"

#include <utility>

namespace espd::runtime {

Admission& Admission::operator=(Admission&& other) noexcept {
  if (this != &other) {
    release();
    state_ = std::move(other.state_);
    per_client_ = std::exchange(other.per_client_, nullptr);
    client_ = other.client_;
  }
  return *this;
}

void Admission::release() {
  if (!state_) return;
  state_->connections.fetch_sub(1, std::memory_order_relaxed);
  if (per_client_) per_client_->remove(client_);
  per_client_ = nullptr;
  state_.reset();
}

AdmissionRefusal admit(const std::shared_ptr<ServiceState>& state,
                       const config::LimitsConfig& limits, const net::SocketAddress& peer,
                       Admission& admission) {
  // Increment first, then compare: two workers racing for the last place cannot both get it.
  int64_t open = state->connections.fetch_add(1, std::memory_order_relaxed) + 1;
  if (limits.max_connections != 0 && open > int64_t{limits.max_connections}) {
    state->connections.fetch_sub(1, std::memory_order_relaxed);
    state->connections_refused.fetch_add(1, std::memory_order_relaxed);
    return AdmissionRefusal::kListenerFull;
  }
  // Counted per client only under a per-client limit: connections opened before a reload set one
  // are not charged to their client (the limit applies to the ones that follow).
  ClientAddressCounts* per_client = nullptr;
  ClientAddressCounts::Key client;
  if (limits.max_connections_per_client != 0) {
    per_client = &state->per_client();
    client = per_client->key_of(peer);
    if (!per_client->try_add(client, limits.max_connections_per_client)) {
      state->connections.fetch_sub(1, std::memory_order_relaxed);
      state->connections_refused.fetch_add(1, std::memory_order_relaxed);
      return AdmissionRefusal::kClientFull;
    }
  }
  state->connections_total.fetch_add(1, std::memory_order_relaxed);
  admission.release();
  admission.state_ = state;
  admission.per_client_ = per_client;
  admission.client_ = client;
  return AdmissionRefusal::kNone;
}

std::string refusal_detail(AdmissionRefusal refusal, const config::LimitsConfig& limits) {
  switch (refusal) {
    case AdmissionRefusal::kListenerFull:
      return "max_connections (" + std::to_string(limits.max_connections) + ") reached";
    case AdmissionRefusal::kClientFull:
      return "max_connections_per_client (" + std::to_string(limits.max_connections_per_client) +
             ") reached";
    case AdmissionRefusal::kNone:
      break;
  }
  return "admitted";
}

}  // namespace espd::runtime
