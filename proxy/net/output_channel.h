// Outgoing bytes of one connection: coalesces small writes, writes large ones directly.
#pragma once

#include <string_view>

#include "proxy/base/io_buffer.h"
#include "proxy/net/transport.h"

namespace espd::net {

enum class FlushStatus : uint8_t { kDone, kBlocked, kError };

// Bytes are either copied into the queue (heads, small pieces: several end up in one write and
// one TLS record) or, for a body piece that does not fit, written straight from the caller's
// buffer with only the unwritten rest copied. So at most one piece is ever buffered here: the
// caller stops producing while offer() refuses, which is the back-pressure of the data path.
class OutputChannel {
 public:
  bool empty() const { return queue_.empty(); }
  size_t queued() const { return queue_.size(); }

  // Always queues (copies) the bytes.
  void append(BufferPool& pool, std::string_view bytes) { queue_.append(pool, bytes); }

  // Offers a body piece. Returns true if it was taken (queued, or written with the rest queued);
  // false if earlier bytes are still waiting for the socket: keep the piece and offer it again
  // after the next successful flush. On a write error it returns true and the next flush fails.
  bool offer(BufferPool& pool, Transport& transport, std::string_view bytes);

  // All or nothing: queues prefix + data + suffix (chunk framing around a body piece of at most
  // a block) if there is room after flushing; false when earlier bytes still wait.
  bool offer_framed(BufferPool& pool, Transport& transport, std::string_view prefix,
                    std::string_view data, std::string_view suffix);

  // The queue itself, for writers that format a head straight into it.
  IoBuffer& buffer() { return queue_; }

  // Writes queued bytes until done or the socket would block.
  FlushStatus flush(Transport& transport);

  // Returns the block when nothing is queued (idle connections hold no buffer).
  void release_if_empty() { queue_.release_if_empty(); }
  void reset() {
    queue_.reset();
    failed_ = false;
  }
  bool wants_read() const { return wants_read_; }
  uint64_t bytes_written() const { return written_; }

 private:
  IoBuffer queue_;
  bool failed_ = false;
  bool wants_read_ = false;  // a TLS write asked for readability (renegotiation-like state)
  uint64_t written_ = 0;
};

}  // namespace espd::net
