// The field names a message's Connection header lists (RFC 9110 7.6.1), gathered once per
// message so that each forwarded field is checked against a small set instead of re-reading
// every Connection field for every field.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "proxy/http1/message.h"

namespace espd::http1 {

class ConnectionTokens {
 public:
  // Views into `headers`, which must outlive this object.
  explicit ConnectionTokens(const std::vector<Header>& headers);

  // Usually true: nothing but the hop-by-hop fields themselves to drop.
  bool empty() const { return count_ == 0 && !overflow_; }
  bool contains(std::string_view name) const;

 private:
  // More tokens than that are rare enough to be checked the slow way (listed_in_connection).
  static constexpr size_t kInlineTokens = 8;

  std::array<std::string_view, kInlineTokens> tokens_;
  uint8_t count_ = 0;
  const std::vector<Header>* overflow_ = nullptr;
};

}  // namespace espd::http1
