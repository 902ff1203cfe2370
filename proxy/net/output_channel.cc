// Outgoing bytes of one connection.
#include "proxy/net/output_channel.h"

namespace espd::net {

bool OutputChannel::offer(BufferPool& pool, Transport& transport, std::string_view bytes) {
  if (bytes.empty()) return true;
  if (!queue_.empty()) {
    if (queue_.allocated() && queue_.size() + bytes.size() <= BufferPool::kBlockSize) {
      queue_.append(pool, bytes);
      return true;
    }
    if (flush(transport) != FlushStatus::kDone) return failed_;
  }
  if (bytes.size() <= BufferPool::kBlockSize / 4) {
    queue_.append(pool, bytes);
    return true;
  }
  IoResult result = transport.write(bytes.data(), bytes.size());
  size_t written = 0;
  switch (result.status) {
    case IoStatus::kOk:
      written = result.bytes;
      written_ += written;
      break;
    case IoStatus::kWantRead:
      wants_read_ = true;
      break;
    case IoStatus::kWantWrite:
      break;
    case IoStatus::kEof:
    case IoStatus::kError:
      failed_ = true;
      return true;
  }
  if (written < bytes.size()) queue_.append(pool, bytes.substr(written));
  return true;
}

bool OutputChannel::offer_framed(BufferPool& pool, Transport& transport, std::string_view prefix,
                                 std::string_view data, std::string_view suffix) {
  size_t total = prefix.size() + data.size() + suffix.size();
  if (!queue_.empty() && queue_.size() + total > BufferPool::kBlockSize) {
    if (flush(transport) != FlushStatus::kDone) return failed_;
  }
  queue_.append(pool, prefix);
  queue_.append(pool, data);
  queue_.append(pool, suffix);
  return true;
}

FlushStatus OutputChannel::flush(Transport& transport) {
  if (failed_) return FlushStatus::kError;
  wants_read_ = false;
  while (!queue_.empty()) {
    std::string_view pending = queue_.readable();
    IoResult result = transport.write(pending.data(), pending.size());
    switch (result.status) {
      case IoStatus::kOk:
        queue_.consume(result.bytes);
        written_ += result.bytes;
        break;
      case IoStatus::kWantRead:
        wants_read_ = true;
        return FlushStatus::kBlocked;
      case IoStatus::kWantWrite:
        return FlushStatus::kBlocked;
      case IoStatus::kEof:
      case IoStatus::kError:
        failed_ = true;
        return FlushStatus::kError;
    }
  }
  return FlushStatus::kDone;
}

}  // namespace espd::net
