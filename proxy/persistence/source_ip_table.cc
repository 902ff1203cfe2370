// Source-IP persistence table, lock-free.
#include "proxy/persistence/source_ip_table.h"

#include <arpa/inet.h>

#include <cstring>

namespace espd::persistence {
namespace {

uint64_t mix(uint64_t x) {  // splitmix64 finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint32_t ticks(uint64_t now_ms) {
  return static_cast<uint32_t>(now_ms / 100);
}

// Wrap-safe: the 32-bit tick counter wraps every 13.6 years, far beyond any timeout.
bool expired(uint64_t value, uint32_t now, uint32_t timeout_s) {
  uint32_t last = static_cast<uint32_t>(value);
  return now - last > timeout_s * 10;
}

}  // namespace

SourceIpTable::SourceIpTable(size_t max_entries) : max_entries_(max_entries) {
  size_t capacity = kProbe * 2;
  while (capacity < max_entries)
    capacity <<= 1;
  mask_ = capacity - 1;
  slots_.reset(new Slot[capacity]);
}

uint64_t SourceIpTable::client_key(const net::SocketAddress& address, uint8_t ipv4_prefix,
                                   uint8_t ipv6_prefix) {
  unsigned char bytes[16] = {0};
  size_t length;
  uint8_t prefix;
  if (address.family() == AF_INET) {
    std::memcpy(bytes, &reinterpret_cast<const sockaddr_in*>(&address.storage)->sin_addr, 4);
    length = 4;
    prefix = ipv4_prefix;
  } else {
    std::memcpy(bytes, &reinterpret_cast<const sockaddr_in6*>(&address.storage)->sin6_addr, 16);
    length = 16;
    prefix = ipv6_prefix;
  }
  for (size_t bit = prefix; bit < length * 8; ++bit)
    bytes[bit / 8] &= ~(0x80 >> (bit % 8));
  uint64_t hash = mix(length * 131 + prefix);
  for (size_t i = 0; i < length; i += 8) {
    uint64_t word = 0;
    std::memcpy(&word, bytes + i, std::min<size_t>(8, length - i));
    hash = mix(hash ^ word);
  }
  return hash <= kBusy ? hash + 2 : hash;
}

uint32_t SourceIpTable::lookup(uint64_t client, uint64_t now_ms, uint32_t timeout_s) {
  uint32_t now = ticks(now_ms);
  for (size_t i = 0; i < kProbe; ++i) {
    Slot& slot = slots_[(client + i) & mask_];
    uint64_t key = slot.key.load(std::memory_order_acquire);
    if (key != client) continue;  // (an insert may have used any slot of the window)
    uint64_t value = slot.value.load(std::memory_order_relaxed);
    if (expired(value, now, timeout_s)) return 0;
    uint32_t server = static_cast<uint32_t>(value >> 32);
    slot.value.store((uint64_t{server} << 32) | now, std::memory_order_relaxed);
    return server;
  }
  return 0;
}

void SourceIpTable::remember(uint64_t client, uint32_t server_id, uint64_t now_ms,
                             uint32_t timeout_s) {
  uint32_t now = ticks(now_ms);
  uint64_t value = (uint64_t{server_id} << 32) | now;
  // The client's window is the kProbe slots from its hash. Preference: its own entry, an expired
  // entry, an empty slot, else the least recently used entry of the window (an eviction).
  Slot* expired_slot = nullptr;
  uint64_t expired_key = 0;
  Slot* empty_slot = nullptr;
  Slot* oldest_slot = nullptr;
  uint64_t oldest_key = 0;
  uint32_t oldest_age = 0;
  for (size_t i = 0; i < kProbe; ++i) {
    Slot& slot = slots_[(client + i) & mask_];
    uint64_t key = slot.key.load(std::memory_order_acquire);
    if (key == client) {
      slot.value.store(value, std::memory_order_relaxed);
      return;
    }
    if (key == kBusy) continue;
    if (key == kEmpty) {
      if (!empty_slot) empty_slot = &slot;
      continue;
    }
    uint64_t existing = slot.value.load(std::memory_order_relaxed);
    if (expired(existing, now, timeout_s)) {
      if (!expired_slot) {
        expired_slot = &slot;
        expired_key = key;
      }
      continue;
    }
    uint32_t age = now - static_cast<uint32_t>(existing);
    if (!oldest_slot || age > oldest_age) {
      oldest_slot = &slot;
      oldest_key = key;
      oldest_age = age;
    }
  }
  Slot* target;
  uint64_t previous;
  bool eviction = false;
  if (expired_slot) {
    target = expired_slot;
    previous = expired_key;
  } else if (empty_slot) {
    target = empty_slot;
    previous = kEmpty;
  } else if (oldest_slot) {
    target = oldest_slot;
    previous = oldest_key;
    eviction = true;
  } else {
    return;  // the whole window is being rewritten by other workers: best effort
  }
  if (!target->key.compare_exchange_strong(previous, kBusy, std::memory_order_acq_rel)) return;
  target->value.store(value, std::memory_order_relaxed);
  target->key.store(client, std::memory_order_release);
  if (eviction) evictions_.fetch_add(1, std::memory_order_relaxed);
}

size_t SourceIpTable::live_entries(uint64_t now_ms, uint32_t timeout_s) const {
  uint32_t now = ticks(now_ms);
  size_t live = 0;
  for (size_t i = 0; i <= mask_; ++i) {
    uint64_t key = slots_[i].key.load(std::memory_order_relaxed);
    if (key > kBusy && !expired(slots_[i].value.load(std::memory_order_relaxed), now, timeout_s)) {
      ++live;
    }
  }
  return live;
}

}  // namespace espd::persistence
