// Turning a JSON document into the typed configuration model: the top level, logging, admin,
// certificates and trust stores (virtual services are in virtual_service_parser.cc).
#include "proxy/config/config_parser.h"

#include "proxy/config/json_reader.h"
#include "proxy/config/object_reader.h"

namespace espd::config {

void parse_virtual_service(const nlohmann::json& value, const std::string& file,
                           const std::string& pointer, VirtualServiceConfig& out,
                           Diagnostics& diagnostics);

bool is_valid_entity_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) return false;
  }
  return true;
}

namespace {

constexpr std::initializer_list<const char*> kLevels = {"debug", "info", "warning", "error"};

void parse_logging(ObjectReader& top, const SourceMap& sources, LoggingConfig& out,
                   Diagnostics& diagnostics) {
  const nlohmann::json* value = top.member("logging");
  if (!value) return;
  ObjectReader reader(*value, sources.file_for("/logging"), "/logging", diagnostics);
  reader.one_of("level", out.level, kLevels);
  for (auto [key, field] :
       {std::pair{"error_log", &out.error_log}, std::pair{"connections", &out.connections},
        std::pair{"user_access", &out.user_access}, std::pair{"security", &out.security}}) {
    reader.string(key, *field);
    if (field->empty())
      diagnostics.error(reader.file(), reader.pointer(key),
                        "must be \"stderr\", \"off\" or a file path");
  }
  reader.unsigned_integer("queue_records", out.queue_records, 64, 16777216);
}

void parse_admin(ObjectReader& top, const SourceMap& sources, std::optional<AdminConfig>& out,
                 Diagnostics& diagnostics) {
  const nlohmann::json* value = top.member("admin");
  if (!value) return;
  AdminConfig admin;
  ObjectReader reader(*value, sources.file_for("/admin"), "/admin", diagnostics);
  if (!reader.valid()) return;
  reader.string("listen", admin.listen);
  reader.string("token_file", admin.token_file, /*required=*/true);
  reader.string_list("certificates", admin.certificates);
  reader.string("audit_log", admin.audit_log);
  reader.unsigned_integer("max_request_bytes", admin.max_request_bytes, 1024, 1073741824);
  reader.unsigned_integer("auth_failures_per_minute", admin.auth_failures_per_minute, 1, 100000);
  out = std::move(admin);
}

void parse_certificate(const nlohmann::json& value, const std::string& file,
                       const std::string& pointer, CertificateConfig& out,
                       Diagnostics& diagnostics) {
  ObjectReader reader(value, file, pointer, diagnostics);
  if (!reader.valid()) return;
  reader.string("cert", out.cert);
  reader.string("key", out.key);
  reader.string("chain", out.chain);
  reader.string("pkcs12", out.pkcs12);
  reader.string("password_file", out.password_file);
  reader.string("ocsp_response", out.ocsp_response);
  reader.string("trust", out.trust);
  bool pem = !out.cert.empty() || !out.key.empty() || !out.chain.empty();
  if (pem && out.is_pkcs12()) {
    diagnostics.error(file, pointer,
                      "use either the PEM form (cert, key, chain) or the PKCS#12 form (pkcs12, "
                      "password_file), not both");
  } else if (out.is_pkcs12()) {
    // PKCS#12 form: complete.
  } else if (out.cert.empty()) {
    diagnostics.error(file, pointer + "/cert",
                      "required key is missing (or give \"pkcs12\" for a PKCS#12 file)");
  }
  if (!out.password_file.empty() && !out.is_pkcs12()) {
    diagnostics.error(file, pointer + "/password_file", "only used with \"pkcs12\"");
  }
}

void parse_trust_store(const nlohmann::json& value, const std::string& file,
                       const std::string& pointer, TrustStoreConfig& out,
                       Diagnostics& diagnostics) {
  ObjectReader reader(value, file, pointer, diagnostics);
  if (!reader.valid()) return;
  reader.string("ca", out.ca, /*required=*/true);
  reader.string_list("crl", out.crl);
}

// Calls parse(value, file, pointer, entity) for each named entity of a top-level map.
template <typename T, typename Parse>
void parse_named_map(ObjectReader& top, const char* key, const SourceMap& sources,
                     std::map<std::string, T>& out, Diagnostics& diagnostics, Parse parse) {
  const nlohmann::json* value = top.member(key);
  if (!value) return;
  std::string map_pointer = std::string("/") + key;
  if (!value->is_object()) {
    diagnostics.error(sources.file_for(map_pointer), map_pointer,
                      "expected an object of named entries, got " + json_type_name(*value));
    return;
  }
  for (const auto& [name, entry] : value->items()) {
    std::string pointer = map_pointer + "/" + json_pointer_token(name);
    const std::string& file = sources.file_for(pointer);
    if (!is_valid_entity_name(name)) {
      diagnostics.error(file, pointer,
                        "invalid name \"" + name +
                            "\": use 1-64 letters, digits, '.', '_' or '-', starting with a letter "
                            "or digit");
      continue;
    }
    T entity;
    parse(entry, file, pointer, entity, diagnostics);
    entity.source_file = file;
    out.emplace(name, std::move(entity));
  }
}

}  // namespace

void parse_document(const nlohmann::json& document, const SourceMap& sources, Config& config,
                    Diagnostics& diagnostics) {
  ObjectReader top(document, sources.file_for(""), "", diagnostics);
  top.use_sources(&sources);
  if (!top.valid()) return;
  top.unsigned_integer("workers", config.workers, 0, 1024);
  top.unsigned_integer("shutdown_grace_s", config.shutdown_grace_s, 0, 3600);
  top.unsigned_integer("busy_poll_us", config.busy_poll_us, 0, 1000);
  top.unsigned_integer("idle_buffer_release_ms", config.idle_buffer_release_ms, 0, 60000);
  top.unsigned_integer("idle_buffer_max_connections", config.idle_buffer_max_connections, 0,
                       100000);
  top.string("persistence_key_file", config.persistence_key_file);
  parse_logging(top, sources, config.logging, diagnostics);
  parse_admin(top, sources, config.admin, diagnostics);
  parse_named_map(top, "certificates", sources, config.certificates, diagnostics,
                  parse_certificate);
  parse_named_map(top, "trust_stores", sources, config.trust_stores, diagnostics,
                  parse_trust_store);
  parse_named_map(top, "virtual_services", sources, config.virtual_services, diagnostics,
                  parse_virtual_service);
}

}  // namespace espd::config
