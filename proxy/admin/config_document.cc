// The configuration as the admin API sees it: JSON, its ETag, the files it lives in.
#include "proxy/admin/config_document.h"

#include <openssl/evp.h>

#include <filesystem>
#include <set>

#include "proxy/admin/config_files.h"
#include "proxy/config/config_loader.h"

namespace espd::admin {
namespace {

namespace fs = std::filesystem;

constexpr const char* kEntityMaps[] = {"certificates", "trust_stores", "virtual_services"};

bool is_directory(const std::string& path) {
  std::error_code ignored;
  return fs::is_directory(path, ignored);
}

template <typename Map>
std::string file_of_kind(const Map& entities, const std::string& fallback) {
  for (const auto& [name, entity] : entities) {
    if (!entity.source_file.empty()) return entity.source_file;
  }
  return fallback;
}

template <typename Map>
void adopt(Map& next, const Map& previous, const std::string& fallback) {
  std::string for_new = file_of_kind(previous, fallback);
  for (auto& [name, entity] : next) {
    auto it = previous.find(name);
    entity.source_file = it != previous.end() ? it->second.source_file : for_new;
  }
}

}  // namespace

std::string config_etag(const config::Config& config) {
  std::string text = config::to_json(config).dump();
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_Digest(text.data(), text.size(), digest, &length, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string etag = "\"";
  for (unsigned int i = 0; i < 8; ++i) {
    etag.push_back(kHex[digest[i] >> 4]);
    etag.push_back(kHex[digest[i] & 15]);
  }
  etag.push_back('"');
  return etag;
}

void adopt_sources(config::Config& next, const config::Config& previous,
                   const std::string& config_path) {
  std::string fallback = is_directory(config_path)
                             ? (fs::path(config_path) / "90-admin-api.json").string()
                             : config_path;
  next.base_dir = previous.base_dir;
  adopt(next.certificates, previous.certificates, fallback);
  adopt(next.trust_stores, previous.trust_stores, fallback);
  adopt(next.virtual_services, previous.virtual_services, fallback);
  next.top_level_files = previous.top_level_files;
  for (const char* key :
       {"workers", "shutdown_grace_s", "busy_poll_us", "idle_buffer_release_ms",
        "idle_buffer_max_connections", "persistence_key_file", "logging", "admin"}) {
    if (!next.top_level_files.count(key)) next.top_level_files[key] = fallback;
  }
}

std::string save_config(const config::Config& config, const std::string& config_path) {
  nlohmann::json whole = config::to_json(config);
  if (!is_directory(config_path)) {
    std::string directory = fs::path(config_path).parent_path().string();
    return write_files_atomically({{config_path, whole.dump(2) + "\n"}},
                                  directory.empty() ? "." : directory);
  }
  // Directory: every file gets the top-level keys and the entities it holds.
  std::map<std::string, nlohmann::json> documents;
  for (const auto& [key, value] : whole.items()) {
    bool entity_map = false;
    for (const char* map : kEntityMaps)
      entity_map = entity_map || key == map;
    if (entity_map) continue;
    auto file = config.top_level_files.find(key);
    if (file != config.top_level_files.end()) documents[file->second][key] = value;
  }
  auto place = [&](const char* map, const auto& entities) {
    for (const auto& [name, entity] : entities) {
      documents[entity.source_file][map][name] = whole[map][name];
    }
  };
  place("certificates", config.certificates);
  place("trust_stores", config.trust_stores);
  place("virtual_services", config.virtual_services);
  // Files that held something before but nothing now must not keep stale entities.
  for (const auto& entry : fs::directory_iterator(config_path)) {
    std::string path = entry.path().string();
    std::string name = entry.path().filename().string();
    if (entry.path().extension() == ".json" && name.front() != '.' && !documents.count(path)) {
      documents[path] = nlohmann::json::object();
    }
  }
  std::map<std::string, std::string> files;
  for (const auto& [path, document] : documents) {
    files[path] = (document.is_null() ? nlohmann::json::object() : document).dump(2) + "\n";
  }
  return write_files_atomically(files, config_path);
}

}  // namespace espd::admin
