// Reading configuration files (one file, or a directory of *.json in name order) into a Config.
#include "proxy/config/config_loader.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "proxy/config/config_parser.h"
#include "proxy/config/json_reader.h"

namespace espd::config {
namespace {

namespace fs = std::filesystem;

// Top-level keys holding named entities, which several files may contribute to.
constexpr const char* kEntityMaps[] = {"certificates", "trust_stores", "virtual_services"};

bool is_entity_map(const std::string& key) {
  return std::any_of(std::begin(kEntityMaps), std::end(kEntityMaps),
                     [&](const char* name) { return key == name; });
}

LoadResult finish(const nlohmann::json& document, const SourceMap& sources,
                  const std::string& base_dir, Diagnostics diagnostics) {
  auto config = std::make_shared<Config>();
  config->base_dir = base_dir;
  if (document.is_object()) {
    for (const auto& [key, value] : document.items()) {
      config->top_level_files[key] =
          sources.file_for(std::string("/").append(json_pointer_token(key)));
    }
  }
  parse_document(document, sources, *config, diagnostics);
  // Cross-checks run even after local errors so that one run reports everything; a value that
  // failed to parse keeps its default and does not cause a second error.
  validate_config(*config, sources, diagnostics);
  LoadResult result;
  result.diagnostics = std::move(diagnostics);
  result.partial = config;
  if (!result.diagnostics.has_errors()) result.config = std::move(config);
  return result;
}

// Merges `part` (from `file`) into `merged`, recording where each piece came from.
void merge_file(const nlohmann::json& part, const std::string& file, nlohmann::json& merged,
                SourceMap& sources, std::map<std::string, std::string>& owners,
                Diagnostics& diagnostics) {
  if (!part.is_object()) {
    diagnostics.error(file, "", "expected a JSON object at the top level");
    return;
  }
  for (const auto& [key, value] : part.items()) {
    std::string pointer = std::string("/").append(json_pointer_token(key));
    if (is_entity_map(key) && value.is_object()) {
      nlohmann::json& target = merged[key];
      if (target.is_null()) target = nlohmann::json::object();
      for (const auto& [name, entity] : value.items()) {
        std::string entity_pointer = pointer + "/" + json_pointer_token(name);
        auto owner = owners.find(entity_pointer);
        if (owner != owners.end()) {
          diagnostics.error(file, entity_pointer,
                            "\"" + name + "\" is already defined in " + owner->second);
          continue;
        }
        owners[entity_pointer] = file;
        sources.set(entity_pointer, file);
        target[name] = entity;
      }
      continue;
    }
    auto owner = owners.find(pointer);
    if (owner != owners.end()) {
      diagnostics.error(file, pointer, "\"" + key + "\" is already set in " + owner->second);
      continue;
    }
    owners[pointer] = file;
    sources.set(pointer, file);
    merged[key] = value;
  }
}

LoadResult load_directory(const std::string& path) {
  Diagnostics diagnostics;
  std::vector<fs::path> files;
  std::error_code error;
  for (const fs::directory_entry& entry : fs::directory_iterator(path, error)) {
    const fs::path& file = entry.path();
    std::string name = file.filename().string();
    if (name.empty() || name.front() == '.' || file.extension() != ".json") continue;
    if (!entry.is_regular_file(error)) continue;
    files.push_back(file);
  }
  if (error) {
    diagnostics.error(path, "", "cannot list the directory: " + error.message());
    return {nullptr, diagnostics, nullptr};
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    diagnostics.error(path, "", "no *.json configuration file in this directory");
    return {nullptr, diagnostics, nullptr};
  }
  nlohmann::json merged = nlohmann::json::object();
  SourceMap sources((fs::path(path) / files.front().filename()).string());
  std::map<std::string, std::string> owners;
  for (const fs::path& file : files) {
    std::string display = (fs::path(path) / file.filename()).string();
    auto part = read_json_file(file.string(), display, diagnostics);
    if (part) merge_file(*part, display, merged, sources, owners, diagnostics);
  }
  if (diagnostics.has_errors()) return {nullptr, diagnostics, nullptr};
  return finish(merged, sources, path, std::move(diagnostics));
}

}  // namespace

LoadResult load_config(const std::string& path) {
  std::error_code error;
  if (fs::is_directory(path, error)) return load_directory(path);
  Diagnostics diagnostics;
  if (!fs::exists(path, error)) {
    diagnostics.error(path, "", "no such file or directory");
    return {nullptr, diagnostics, nullptr};
  }
  auto document = read_json_file(path, path, diagnostics);
  if (!document) return {nullptr, diagnostics, nullptr};
  std::string base_dir = fs::path(path).parent_path().string();
  if (base_dir.empty()) base_dir = ".";
  return finish(*document, SourceMap(path), base_dir, std::move(diagnostics));
}

LoadResult parse_config(const nlohmann::json& document, const std::string& source,
                        const std::string& base_dir) {
  return finish(document, SourceMap(source), base_dir, Diagnostics());
}

}  // namespace espd::config
