// Authentication of admin API requests.
#include "proxy/admin/admin_auth.h"

#include <openssl/crypto.h>
#include <sys/stat.h>

#include <cstring>
#include <fstream>
#include <sstream>

namespace espd::admin {

std::string AdminAuth::load(const std::string& token_file, uint32_t failures_per_minute) {
  failures_per_minute_ = failures_per_minute;
  struct stat info;
  if (::stat(token_file.c_str(), &info) != 0) {
    return "cannot read the admin token file " + token_file + ": " + std::strerror(errno);
  }
  if (info.st_mode & 077) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%03o", info.st_mode & 0777);
    return "the admin token file " + token_file + " is readable by others (mode " + mode +
           "): chmod 600 it";
  }
  std::ifstream in(token_file);
  std::stringstream text;
  text << in.rdbuf();
  token_ = text.str();
  while (!token_.empty() &&
         (token_.back() == '\n' || token_.back() == '\r' || token_.back() == ' ')) {
    token_.pop_back();
  }
  if (token_.size() < 16)
    return "the admin token in " + token_file + " is shorter than 16 characters";
  return {};
}

AdminAuth::Result AdminAuth::check(const std::string* authorization, const std::string& client,
                                   uint64_t now_ms) {
  std::deque<uint64_t>& recent = failures_[client];
  while (!recent.empty() && now_ms - recent.front() > 60000)
    recent.pop_front();
  if (recent.size() >= failures_per_minute_) return Result::kRateLimited;
  static constexpr char kPrefix[] = "Bearer ";
  bool ok =
      authorization && authorization->size() == sizeof(kPrefix) - 1 + token_.size() &&
      authorization->compare(0, sizeof(kPrefix) - 1, kPrefix) == 0 &&
      CRYPTO_memcmp(authorization->data() + sizeof(kPrefix) - 1, token_.data(), token_.size()) == 0;
  if (ok) {
    if (recent.empty()) failures_.erase(client);
    return Result::kOk;
  }
  recent.push_back(now_ms);
  return Result::kUnauthorized;
}

}  // namespace espd::admin
