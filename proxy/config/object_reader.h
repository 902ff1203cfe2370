// Reading one JSON object of the configuration into typed fields: wrong types, out-of-range
// values, missing required keys and unknown keys each become one diagnostic with its pointer.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "proxy/config/diagnostic.h"
#include "proxy/config/source_map.h"

namespace espd::config {

// Describes a JSON value's type for messages: "string", "number", "object", ...
std::string json_type_name(const nlohmann::json& value);

class ObjectReader {
 public:
  // Reports an error (and reads nothing) if `value` is not an object.
  ObjectReader(const nlohmann::json& value, std::string file, std::string pointer,
               Diagnostics& diagnostics);
  // Reports every key that no reader asked for (with a did-you-mean suggestion).
  ~ObjectReader();

  // For the top level of a merged document: each key's diagnostics name the file it came from.
  void use_sources(const SourceMap* sources) { sources_ = sources; }

  bool valid() const { return object_ != nullptr; }
  bool has(const char* key) const;
  const std::string& file() const { return file_; }
  const std::string& file_of(const std::string& key) const;
  std::string pointer(const std::string& key) const;
  Diagnostics& diagnostics() { return diagnostics_; }

  void string(const char* key, std::string& out, bool required = false);
  void boolean(const char* key, bool& out);
  template <typename T>
  void unsigned_integer(const char* key, T& out, uint64_t min, uint64_t max,
                        bool required = false) {
    uint64_t value = out;
    if (read_unsigned(key, value, min, max, required)) out = static_cast<T>(value);
  }
  void one_of(const char* key, std::string& out, std::initializer_list<const char*> allowed);
  void string_list(const char* key, std::vector<std::string>& out);
  // The nested value for `key` (any type), or null when absent; marks the key as known.
  const nlohmann::json* member(const char* key, bool required = false);
  // Marks a key as known without reading it.
  void accept(const char* key) { known_.insert(key); }

 private:
  bool read_unsigned(const char* key, uint64_t& out, uint64_t min, uint64_t max, bool required);
  const nlohmann::json* find(const char* key, bool required);

  const nlohmann::json* object_ = nullptr;
  std::string file_;
  std::string pointer_;
  Diagnostics& diagnostics_;
  std::set<std::string> known_;
  const SourceMap* sources_ = nullptr;
};

}  // namespace espd::config
