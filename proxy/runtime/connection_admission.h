// Admission of an accepted client connection against its listener's limits: max_connections
// (per listener, all workers) and max_connections_per_client. Counting is lock-free: atomics in
// the virtual service's shared state, incremented on accept and decremented on close.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "proxy/config/config_model.h"
#include "proxy/net/socket_address.h"
#include "proxy/runtime/service_state.h"

namespace espd::runtime {

enum class AdmissionRefusal : uint8_t { kNone, kListenerFull, kClientFull };

// What an admitted connection holds while it counts against the limits; released on close (or
// at the latest when destroyed). Holds the service state, which may outlive its snapshot.
class Admission {
 public:
  Admission() = default;
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;
  Admission(Admission&& other) noexcept { *this = std::move(other); }
  Admission& operator=(Admission&& other) noexcept;
  ~Admission() { release(); }

  void release();

 private:
  friend AdmissionRefusal admit(const std::shared_ptr<ServiceState>&, const config::LimitsConfig&,
                                const net::SocketAddress&, Admission&);
  std::shared_ptr<ServiceState> state_;
  ClientAddressCounts* per_client_ = nullptr;  // set when counted per client (owned by state_)
  ClientAddressCounts::Key client_;
};

// Counts the connection (into `admission`) or says which limit refuses it; a refusal counts in
// `connections_refused` and leaves every other counter unchanged.
AdmissionRefusal admit(const std::shared_ptr<ServiceState>& state,
                       const config::LimitsConfig& limits, const net::SocketAddress& peer,
                       Admission& admission);

// "max_connections (100) reached", for the security record.
std::string refusal_detail(AdmissionRefusal refusal, const config::LimitsConfig& limits);

}  // namespace espd::runtime
