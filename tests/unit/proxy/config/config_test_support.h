// Helpers for configuration tests: a temporary directory, parsing text, finding diagnostics.
#pragma once

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "proxy/config/config_loader.h"

namespace espd::config::testing {

class TempDir {
 public:
  TempDir() {
    std::random_device random;
    path_ = std::filesystem::temp_directory_path() /
            ("espd-config-test-" + std::to_string(random()) + std::to_string(random()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }
  std::string write(const std::string& name, const std::string& text) const {
    std::filesystem::path file = path_ / name;
    std::ofstream(file) << text;
    return file.string();
  }

 private:
  std::filesystem::path path_;
};

// A minimal valid configuration to start each bad variant from.
inline nlohmann::json minimal() {
  return nlohmann::json::parse(R"({
    "certificates": {"front": {"cert": "front.pem", "key": "front.key"}},
    "trust_stores": {"internal": {"ca": "internal-ca.pem"}},
    "virtual_services": {
      "web": {
        "listen": "127.0.0.1:8443",
        "tls": {"certificates": ["front"]},
        "pools": {"fe": {"reencrypt": {"trust": "internal"},
                         "real_servers": [{"address": "10.0.0.2", "port": 4443}]}}
      }
    }
  })");
}

inline LoadResult load_json(const nlohmann::json& document) {
  return parse_config(document, "test.json", "/etc/espd");
}

// The first diagnostic at exactly `pointer`, or null.
inline const Diagnostic* find(const LoadResult& result, const std::string& pointer) {
  for (const Diagnostic& d : result.diagnostics.all()) {
    if (d.json_path == pointer) return &d;
  }
  return nullptr;
}

inline std::string all_text(const LoadResult& result) {
  std::string text;
  for (const Diagnostic& d : result.diagnostics.all())
    text += d.to_string() + "\n";
  return text;
}

}  // namespace espd::config::testing
