// A decoded body span waiting for the other side to take it, handed over in bounded pieces.
#pragma once

#include <cstddef>
#include <string_view>

namespace espd::exchange {

// Every body piece passed between the client side and the real-server side is at most this big,
// so the receiving side can always frame it into one pooled block (chunk header included).
inline constexpr size_t kMaxBodyPiece = 16384 - 64;

// `data` points into an input buffer; `input_bytes` is how much of that buffer to consume once
// all of `data` was taken (framing bytes included). The buffer must not move meanwhile.
struct PendingBody {
  std::string_view data;
  size_t input_bytes = 0;
  bool active = false;

  void set(std::string_view span, size_t consumed) {
    data = span;
    input_bytes = consumed;
    active = true;
  }
  std::string_view next_piece() const { return data.substr(0, kMaxBodyPiece); }
  // Marks `n` bytes as taken; returns true when everything was (then consume input_bytes).
  bool take(size_t n) {
    data.remove_prefix(n);
    if (!data.empty()) return false;
    active = false;
    return true;
  }
};

}  // namespace espd::exchange
