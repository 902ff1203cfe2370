// The field names a message's Connection header lists, gathered once per message.
#include "proxy/http1/connection_tokens.h"

#include "proxy/http1/field_syntax.h"

namespace espd::http1 {

ConnectionTokens::ConnectionTokens(const std::vector<Header>& headers) {
  for (const Header& field : headers) {
    if (field.name.size() != 10 || !iequals(field.name, "connection")) continue;
    for_each_list_element(field.value, [&](std::string_view token) {
      if (count_ < kInlineTokens) {
        tokens_[count_++] = token;
      } else {
        overflow_ = &headers;
      }
    });
  }
}

bool ConnectionTokens::contains(std::string_view name) const {
  if (overflow_) return listed_in_connection(*overflow_, name);
  for (uint8_t i = 0; i < count_; ++i) {
    if (iequals(tokens_[i], name)) return true;
  }
  return false;
}

}  // namespace espd::http1
