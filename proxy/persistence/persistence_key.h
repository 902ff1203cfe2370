// The secret behind MS-WSMAN cookie values: 32 random bytes in a file of the configuration
// directory, generated once and kept, so every restart and every node sharing the configuration
// computes the same cookie for the same real server.
#pragma once

#include <array>
#include <string>

namespace espd::persistence {

using PersistenceKey = std::array<unsigned char, 32>;

// Reads the key (64 hex digits) from `path`. When the file does not exist and `create` is set,
// generates one and writes it atomically (mode 0600). Returns "" or the error.
std::string load_persistence_key(const std::string& path, bool create, PersistenceKey& key);

}  // namespace espd::persistence
