// The secret behind MS-WSMAN cookie values.
#include "proxy/persistence/persistence_key.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace espd::persistence {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string write_new_key(const std::string& path, PersistenceKey& key) {
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1)
    return "no random bytes for " + path;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  for (unsigned char byte : key) {
    text.push_back(kHex[byte >> 4]);
    text.push_back(kHex[byte & 15]);
  }
  text.push_back('\n');
  std::string temporary = path + ".tmp";
  int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return "cannot create " + temporary + ": " + std::strerror(errno);
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(temporary.c_str(), path.c_str()) != 0) {
    ::unlink(temporary.c_str());
    return "cannot write " + path + ": " + std::strerror(errno);
  }
  return {};
}

}  // namespace

std::string load_persistence_key(const std::string& path, bool create, PersistenceKey& key) {
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT && create) return write_new_key(path, key);
    if (errno == ENOENT) {
      key.fill(0);  // --check: the real start creates it
      return {};
    }
    return "cannot read " + path + ": " + std::strerror(errno);
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string text = buffer.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.pop_back();
  if (text.size() != key.size() * 2) return path + " must hold 64 hex digits";
  for (size_t i = 0; i < key.size(); ++i) {
    int high = hex_value(text[2 * i]), low = hex_value(text[2 * i + 1]);
    if (high < 0 || low < 0) return path + " must hold 64 hex digits";
    key[i] = static_cast<unsigned char>(high * 16 + low);
  }
  return {};
}

}  // namespace espd::persistence
