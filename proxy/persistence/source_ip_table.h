// Source-IP persistence: client address (masked: IPv4 /32, IPv6 /64 by default) -> real server,
// for `timeout_s` after its last use. One table per pool, shared by all workers, lock-free:
// fixed-size open addressing over atomics. Its size is the bound: `max_entries` rounded up to a
// power of two (at least 16) entries, never more; memory is 16 bytes per entry.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "proxy/net/socket_address.h"

namespace espd::persistence {

class SourceIpTable {
 public:
  explicit SourceIpTable(size_t max_entries);

  // The real-server id remembered for `client` if it was used within `timeout_s` (refreshing its
  // last use), else 0. Times are kept to a tenth of a second.
  uint32_t lookup(uint64_t client, uint64_t now_ms, uint32_t timeout_s);
  // Remembers `server_id` (> 0) for `client` in one of the 8 slots it may occupy: an expired
  // entry's, else an empty one, else the least recently used entry's, which is evicted (and
  // counted): "oldest first" within the client's window, an approximation of global LRU.
  void remember(uint64_t client, uint32_t server_id, uint64_t now_ms, uint32_t timeout_s);

  size_t max_entries() const { return max_entries_; }
  size_t capacity() const { return mask_ + 1; }
  size_t live_entries(uint64_t now_ms, uint32_t timeout_s) const;  // a scan: for status only
  uint64_t evictions() const { return evictions_.load(std::memory_order_relaxed); }

  // The table key of a client address: a 64-bit hash of the address masked to its prefix.
  static uint64_t client_key(const net::SocketAddress& address, uint8_t ipv4_prefix,
                             uint8_t ipv6_prefix);

 private:
  static constexpr uint64_t kEmpty = 0;
  static constexpr uint64_t kBusy = 1;  // an entry being rewritten: skipped by readers
  static constexpr size_t kProbe = 8;

  struct Slot {
    std::atomic<uint64_t> key{kEmpty};
    std::atomic<uint64_t> value{0};  // server id << 32 | last use (tenths of a second, wrapping)
  };

  size_t max_entries_;
  size_t mask_;
  std::unique_ptr<Slot[]> slots_;
  std::atomic<uint64_t> evictions_{0};
};

}  // namespace espd::persistence
