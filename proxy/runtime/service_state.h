// Live counters of one virtual service, shared by all workers and kept across configuration
// changes while the service exists: open connections (in all and per client address), responses
// by class, request durations.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "proxy/runtime/client_address_counts.h"

namespace espd::runtime {

struct ServiceState {
  // Upper bounds of the request-duration histogram, in milliseconds (long polls included).
  static constexpr std::array<uint64_t, 13> kDurationBucketsMs = {
      5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000};

  std::atomic<int64_t> connections{0};  // open client connections
  std::atomic<uint64_t> connections_total{0};
  std::atomic<uint64_t> connections_refused{0};      // over max_connections / per client
  std::array<std::atomic<uint64_t>, 6> responses{};  // 1xx..5xx, [0]: other
  std::array<std::atomic<uint64_t>, kDurationBucketsMs.size() + 1> duration_buckets{};
  std::atomic<uint64_t> duration_sum_ms{0};

  void record(uint16_t status, uint64_t duration_ms) {
    size_t status_class = status >= 100 && status < 600 ? status / 100 : 0;
    responses[status_class].fetch_add(1, std::memory_order_relaxed);
    size_t bucket = 0;
    while (bucket < kDurationBucketsMs.size() && duration_ms > kDurationBucketsMs[bucket])
      ++bucket;
    duration_buckets[bucket].fetch_add(1, std::memory_order_relaxed);
    duration_sum_ms.fetch_add(duration_ms, std::memory_order_relaxed);
  }

  ServiceState() = default;
  ServiceState(const ServiceState&) = delete;
  ServiceState& operator=(const ServiceState&) = delete;
  ~ServiceState() { delete per_client_.load(); }

  // Open connections per client address; made on first use (512 KiB: only services with a
  // max_connections_per_client pay for it). Safe from any thread.
  ClientAddressCounts& per_client() {
    ClientAddressCounts* counts = per_client_.load(std::memory_order_acquire);
    if (counts) return *counts;
    auto* made = new ClientAddressCounts();
    if (per_client_.compare_exchange_strong(counts, made, std::memory_order_acq_rel)) return *made;
    delete made;  // another worker was first: `counts` is its table
    return *counts;
  }

 private:
  std::atomic<ClientAddressCounts*> per_client_{nullptr};
};

}  // namespace espd::runtime
