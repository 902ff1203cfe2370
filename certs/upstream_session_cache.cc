// TLS client sessions toward real servers, per worker.
#include "certs/upstream_session_cache.h"

namespace espd::certs {

UpstreamSessionCache::~UpstreamSessionCache() {
  for (auto& [key, entry] : entries_)
    SSL_SESSION_free(entry.session);
}

SSL_SESSION* UpstreamSessionCache::find(const UpstreamSessionKey& key, uint64_t now_s) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return nullptr;
  SSL_SESSION* session = it->second.session;
  uint64_t expires = static_cast<uint64_t>(SSL_SESSION_get_time(session)) +
                     static_cast<uint64_t>(SSL_SESSION_get_timeout(session));
  if (!SSL_SESSION_is_resumable(session) || expires <= now_s) {
    SSL_SESSION_free(session);
    entries_.erase(it);
    return nullptr;
  }
  return session;
}

void UpstreamSessionCache::store(const UpstreamSessionKey& key, SSL_SESSION* session) {
  if (capacity_ == 0) {
    SSL_SESSION_free(session);
    return;
  }
  auto it = entries_.find(key);
  if (it != entries_.end()) {
    SSL_SESSION_free(it->second.session);
    it->second = Entry{session, ++next_stamp_};
    return;
  }
  if (entries_.size() >= capacity_) {
    // Rare (more real servers and names than the capacity): a linear scan is cheap enough.
    auto oldest = entries_.begin();
    for (auto e = entries_.begin(); e != entries_.end(); ++e) {
      if (e->second.stored < oldest->second.stored) oldest = e;
    }
    SSL_SESSION_free(oldest->second.session);
    entries_.erase(oldest);
  }
  entries_.emplace(key, Entry{session, ++next_stamp_});
}

void UpstreamSessionCache::forget(const UpstreamSessionKey& key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  SSL_SESSION_free(it->second.session);
  entries_.erase(it);
}

void UpstreamSessionCache::retain_contexts(const std::set<uint64_t>& live) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (live.count(it->first.context_id)) {
      ++it;
      continue;
    }
    SSL_SESSION_free(it->second.session);
    it = entries_.erase(it);
  }
}

}  // namespace espd::certs
