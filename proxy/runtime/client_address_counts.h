// Open connections per client address, shared by all workers without a lock: a fixed table of
// atomic counters (a count-min sketch), so memory does not grow with the number of clients.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "proxy/net/socket_address.h"

namespace espd::runtime {

// Each client (IPv4 address, or IPv6 /64 prefix: one subscriber's network) maps to one counter in
// each of two rows, through a hash keyed with a random per-process seed so clients cannot choose
// to collide. A client's count is the smaller of its two counters: never less than its true
// count; more only when other clients share both its counters, which can make its limit stricter,
// never looser. With C connections open in all, a counter holds about C / kWidth connections of
// other clients on average, and the smaller of two such excesses is what a client may be charged.
class ClientAddressCounts {
 public:
  static constexpr size_t kWidth = 65536;  // per row; 2 rows x 4 bytes: 512 KiB

  // The counters of one client.
  struct Key {
    uint32_t first = 0;
    uint32_t second = 0;
  };
  Key key_of(const net::SocketAddress& address) const;

  // Counts one more connection for `key` unless that makes its count exceed `limit` (0: no
  // limit); false means over the limit, and nothing was counted. Two racing callers at the limit
  // may both be refused: the count is never exceeded.
  bool try_add(Key key, uint32_t limit);
  void remove(Key key);
  uint32_t count(Key key) const;  // an estimate (>= the true count)

 private:
  using Row = std::array<std::atomic<uint32_t>, kWidth>;
  std::array<Row, 2> rows_{};
};

}  // namespace espd::runtime
