// Authentication of admin API requests: "Authorization: Bearer <token>", the token read from
// admin.token_file (which must not be readable by others), with failed attempts limited per client.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>

namespace espd::admin {

class AdminAuth {
 public:
  // Reads the token; "" or the error (missing, empty, group/other-readable file).
  std::string load(const std::string& token_file, uint32_t failures_per_minute);

  enum class Result { kOk, kUnauthorized, kRateLimited };
  // Not thread-safe: the admin thread only.
  Result check(const std::string* authorization, const std::string& client, uint64_t now_ms);

 private:
  std::string token_;
  uint32_t failures_per_minute_ = 10;
  std::map<std::string, std::deque<uint64_t>> failures_;  // client -> times of recent failures
};

}  // namespace espd::admin
