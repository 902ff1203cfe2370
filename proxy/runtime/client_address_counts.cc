// Open connections per client address: a lock-free count-min sketch.
#include "proxy/runtime/client_address_counts.h"

#include <algorithm>
#include <random>

#include "proxy/persistence/source_ip_table.h"

namespace espd::runtime {
namespace {

uint64_t process_seed() {
  static const uint64_t seed = [] {
    std::random_device device;
    return (uint64_t{device()} << 32) ^ device();
  }();
  return seed;
}

// splitmix64's finalizer: every input bit affects every output bit.
uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

ClientAddressCounts::Key ClientAddressCounts::key_of(const net::SocketAddress& address) const {
  uint64_t hash = mix(persistence::SourceIpTable::client_key(address, 32, 64) ^ process_seed());
  return Key{static_cast<uint32_t>(hash % kWidth), static_cast<uint32_t>((hash >> 32) % kWidth)};
}

bool ClientAddressCounts::try_add(Key key, uint32_t limit) {
  uint32_t first = rows_[0][key.first].fetch_add(1, std::memory_order_relaxed) + 1;
  uint32_t second = rows_[1][key.second].fetch_add(1, std::memory_order_relaxed) + 1;
  if (limit == 0 || std::min(first, second) <= limit) return true;
  remove(key);
  return false;
}

void ClientAddressCounts::remove(Key key) {
  rows_[0][key.first].fetch_sub(1, std::memory_order_relaxed);
  rows_[1][key.second].fetch_sub(1, std::memory_order_relaxed);
}

uint32_t ClientAddressCounts::count(Key key) const {
  return std::min(rows_[0][key.first].load(std::memory_order_relaxed),
                  rows_[1][key.second].load(std::memory_order_relaxed));
}

}  // namespace espd::runtime
