// Fuzz target: the configuration loader and validator, through the path `espd --check` takes
// (load_config: strict JSON reading, merge of a directory's files, typed parsing, validation).
// The input is one JSON document, or several separated by a line "---", which become the files of
// a configuration directory (NN.json) in a scratch directory. Oracles: a configuration is returned
// exactly when there is no error, and every diagnostic says something; a valid configuration
// serialises (to_json, used by the admin API) to a document that parses to the same
// configuration; and it compiles into a runtime snapshot. Certificates, trust stores and the
// persistence key are not loaded: they are files named by the configuration, which a fuzzer
// would point at /dev/zero; the snapshot is built with TLS removed instead.
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include "fuzz/fuzz_support.h"

#include "proxy/config/config_loader.h"
#include "proxy/runtime/snapshot.h"

namespace {

using namespace espd;
using espd::fuzz::require;
namespace fs = std::filesystem;

constexpr size_t kMaxFiles = 8;

std::vector<std::string_view> split_documents(std::string_view input) {
  std::vector<std::string_view> parts;
  for (;;) {
    size_t separator = input.find("\n---\n");
    if (separator == std::string_view::npos || parts.size() + 1 == kMaxFiles) break;
    parts.push_back(input.substr(0, separator));
    input.remove_prefix(separator + 5);
  }
  parts.push_back(input);
  return parts;
}

// Writes the documents where load_config will read them; returns the path to load.
std::string write_documents(const std::vector<std::string_view>& parts) {
  const fs::path& scratch = fuzz::ScratchDirectory::path();
  fs::path directory = scratch / (parts.size() == 1 ? "file" : "directory");
  std::error_code ignored;
  fs::remove_all(directory, ignored);
  fs::create_directories(directory);
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string name = parts.size() == 1 ? "espd.json" : "0" + std::to_string(i) + ".json";
    std::ofstream(directory / name, std::ios::binary) << parts[i];
  }
  return (parts.size() == 1 ? directory / "espd.json" : directory).string();
}

std::string describe(const config::Diagnostics& diagnostics) {
  std::string out;
  for (const config::Diagnostic& d : diagnostics.all())
    out += d.to_string() + "\n";
  return out;
}

// The configuration without what needs certificate files: no TLS anywhere.
std::shared_ptr<config::Config> without_tls(const config::Config& valid) {
  auto copy = std::make_shared<config::Config>(valid);
  copy->certificates.clear();
  copy->trust_stores.clear();
  copy->admin.reset();
  copy->persistence_key_file = "no-persistence.key";  // absent: the all-zero key of --check
  for (auto& [name, service] : copy->virtual_services) {
    service.tls.reset();
    for (auto& [pool_name, pool] : service.pools)
      pool.reencrypt = config::ReencryptConfig{.enabled = false};
  }
  return copy;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string path = write_documents(split_documents(fuzz::as_view(data, size)));
  config::LoadResult loaded = config::load_config(path);
  const config::Diagnostics& diagnostics = loaded.diagnostics;
  require((loaded.config != nullptr) == !diagnostics.has_errors(),
          "a configuration exactly when there is no error", describe(diagnostics));
  for (const config::Diagnostic& d : diagnostics.all())
    require(!d.message.empty(), "every diagnostic has a message", describe(diagnostics));
  if (!loaded.config) return 0;

  nlohmann::json serialized = config::to_json(*loaded.config);
  config::LoadResult again =
      config::parse_config(serialized, "serialized", loaded.config->base_dir);
  require(again.config != nullptr, "a valid configuration serialises to a valid document",
          serialized.dump(2) + "\n" + describe(again.diagnostics));
  require(config::to_json(*again.config) == serialized,
          "serialising and parsing again gives the same configuration", serialized.dump(2));

  config::Diagnostics build_diagnostics;
  auto snapshot = runtime::build_snapshot(without_tls(*loaded.config), nullptr, build_diagnostics);
  require(snapshot != nullptr, "a valid configuration (without TLS) compiles into a snapshot",
          describe(build_diagnostics));
  require(snapshot->services.size() == loaded.config->virtual_services.size(),
          "every virtual service is compiled");
  return 0;
}
