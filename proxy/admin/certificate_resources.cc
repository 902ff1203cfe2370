// The certificate resources of the admin API.
#include "proxy/admin/certificate_resources.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "certs/certificate_expiry.h"
#include "certs/certificate_loader.h"
#include "certs/openssl_ptr.h"
#include "proxy/config/config_parser.h"
#include "proxy/net/transport.h"

namespace espd::admin {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

std::string write_file(const fs::path& path, const std::string& contents, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) return "cannot create " + path.string() + ": " + std::strerror(errno);
  bool ok =
      ::write(fd, contents.data(), contents.size()) == static_cast<ssize_t>(contents.size()) &&
      ::fsync(fd) == 0;
  ::close(fd);
  return ok ? std::string() : "cannot write " + path.string();
}

bool decode_base64(const std::string& text, std::string& out) {
  std::string compact;
  for (char c : text) {
    if (c != '\n' && c != '\r' && c != ' ') compact.push_back(c);
  }
  if (compact.empty() || compact.size() % 4 != 0) return false;
  out.resize(compact.size() / 4 * 3);
  int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                               reinterpret_cast<const unsigned char*>(compact.data()),
                               static_cast<int>(compact.size()));
  if (length < 0) return false;
  size_t padding = compact.size() >= 2 && compact.back() == '='
                       ? (compact[compact.size() - 2] == '=' ? 2 : 1)
                       : 0;
  out.resize(static_cast<size_t>(length) - padding);
  return true;
}

std::string stamp() {
  return std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count());
}

// Services (and pools, for client certificates) that use a certificate.
json users_of(const config::Config& config, const std::string& name) {
  json users = json::array();
  for (const auto& [service_name, service] : config.virtual_services) {
    if (service.tls) {
      for (const std::string& used : service.tls->certificates) {
        if (used == name) users.push_back("virtual_services/" + service_name);
      }
    }
    for (const auto& [pool_name, pool] : service.pools) {
      if (pool.reencrypt.client_certificate == name) {
        users.push_back("virtual_services/" + service_name + "/pools/" + pool_name);
      }
    }
  }
  if (config.admin) {
    for (const std::string& used : config.admin->certificates) {
      if (used == name) users.push_back("admin");
    }
  }
  return users;
}

std::string pem_of(X509_REQ* request) {
  certs::BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509_REQ(bio.get(), request);
  char* data = nullptr;
  long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(length));
}

}  // namespace

std::string CertificateResources::certificate_directory() const {
  return (fs::path(backend_.snapshot()->config->base_dir) / "certs").string();
}

json CertificateResources::describe(const std::string& name, const config::Config& config) const {
  const config::CertificateConfig& entry = config.certificates.at(name);
  json out = {{"name", name}, {"used_by", users_of(config, name)}};
  if (entry.is_pkcs12()) {
    out["pkcs12"] = entry.pkcs12;
  } else {
    out["cert"] = entry.cert;
    if (!entry.chain.empty()) out["chain"] = entry.chain;
  }
  config::Diagnostics ignored;
  auto loaded = certs::load_certificate(config, name, ignored);
  if (!loaded) {
    out["error"] = ignored.all().empty() ? "cannot load" : ignored.all().front().message;
    return out;
  }
  time_t now = time(nullptr);
  json sans = loaded->names;
  for (const std::string& ip : loaded->ip_names)
    sans.push_back(ip);
  out["subject"] = loaded->subject;
  out["issuer"] = loaded->issuer;
  out["sans"] = sans;
  out["key_type"] = loaded->key_type;
  out["not_before"] = certs::date_of(loaded->not_before);
  out["not_after"] = certs::date_of(loaded->not_after);
  out["days_left"] = certs::days_left(*loaded, now);
  out["fingerprint_sha256"] = loaded->fingerprint;
  out["chain_length"] = sk_X509_num(loaded->chain.get());
  return out;
}

AdminResponse CertificateResources::list() {
  std::shared_ptr<const runtime::Snapshot> snapshot = backend_.snapshot();
  json list = json::array();
  for (const auto& [name, entry] : snapshot->config->certificates)
    list.push_back(describe(name, *snapshot->config));
  return json_response(200, list);
}

AdminResponse CertificateResources::get(const std::string& name) {
  std::shared_ptr<const runtime::Snapshot> snapshot = backend_.snapshot();
  if (!snapshot->config->certificates.count(name)) {
    return error_response(404, "certificate \"" + name + "\" does not exist");
  }
  return json_response(200, describe(name, *snapshot->config));
}

AdminResponse CertificateResources::upload(const AdminRequest& request, const json& body) {
  if (!body.is_object()) return error_response(400, "the body must be a JSON object");
  for (const auto& [key, value] : body.items()) {
    if (key != "name" && key != "cert" && key != "key" && key != "chain" && key != "pkcs12" &&
        key != "password") {
      return error_response(422, "unknown key \"" + key + "\"", "/" + key);
    }
    if (!value.is_string()) return error_response(422, "expected a string", "/" + key);
  }
  std::string name = body.value("name", "");
  if (!config::is_valid_entity_name(name)) {
    return error_response(422, "a valid \"name\" is required", "/name");
  }
  bool pkcs12 = body.contains("pkcs12");
  if (pkcs12 == body.contains("cert")) {
    return error_response(422, "give either \"cert\" (PEM) or \"pkcs12\" (base64)", "/cert");
  }
  fs::path directory = certificate_directory();
  std::error_code error;
  fs::create_directories(directory, error);
  if (error)
    return error_response(500, "cannot create " + directory.string() + ": " + error.message());
  std::string base = name + "-" + stamp();
  config::CertificateConfig entry;
  std::vector<fs::path> written;
  auto write = [&](const std::string& file, const std::string& contents, mode_t mode) {
    fs::path path = directory / file;
    std::string problem = write_file(path, contents, mode);
    if (problem.empty()) written.push_back(path);
    return problem;
  };
  std::string problem;
  if (pkcs12) {
    std::string der;
    if (!decode_base64(body["pkcs12"].get<std::string>(), der)) {
      return error_response(422, "\"pkcs12\" is not base64", "/pkcs12");
    }
    problem = write(base + ".p12", der, 0600);
    entry.pkcs12 = (directory / (base + ".p12")).string();
    if (problem.empty() && body.contains("password")) {
      problem = write(base + ".pass", body["password"].get<std::string>(), 0600);
      entry.password_file = (directory / (base + ".pass")).string();
    }
  } else {
    problem = write(base + ".pem", body["cert"].get<std::string>(), 0644);
    entry.cert = (directory / (base + ".pem")).string();
    if (problem.empty() && body.contains("key")) {
      problem = write(base + ".key", body["key"].get<std::string>(), 0600);
      entry.key = (directory / (base + ".key")).string();
    } else if (problem.empty()) {
      fs::path pending = directory / (name + ".csr.key");  // from an earlier CSR, if any
      if (fs::exists(pending)) entry.key = pending.string();
    }
    if (problem.empty() && body.contains("chain")) {
      problem = write(base + "-chain.pem", body["chain"].get<std::string>(), 0644);
      entry.chain = (directory / (base + "-chain.pem")).string();
    }
  }
  auto discard = [&] {
    for (const fs::path& path : written)
      fs::remove(path, error);
  };
  if (!problem.empty()) {
    discard();
    return error_response(500, problem);
  }
  json entry_json;
  if (pkcs12) {
    entry_json = {{"pkcs12", entry.pkcs12}};
    if (!entry.password_file.empty()) entry_json["password_file"] = entry.password_file;
  } else {
    entry_json = {{"cert", entry.cert}};
    if (!entry.key.empty()) entry_json["key"] = entry.key;
    if (!entry.chain.empty()) entry_json["chain"] = entry.chain;
  }
  bool existed = false;
  std::string previous_files;
  AdminResponse response = editor_.change(
      request,
      [&](json& document) -> std::optional<AdminResponse> {
        existed = document["certificates"].contains(name);
        if (existed) previous_files = document["certificates"][name].dump();
        document["certificates"][name] = entry_json;
        return std::nullopt;
      },
      200, [&](const json&) { return json(); });
  if (response.status != 200) {
    discard();
    return response;
  }
  // Files of the replaced version that espd wrote itself are no longer referenced.
  if (existed) {
    // (A named object: iterating items() of a temporary would outlive it.)
    json previous = json::parse(previous_files);
    for (const auto& [key, value] : previous.items()) {
      fs::path old = value.get<std::string>();
      if (old.parent_path() == directory &&
          old.filename().string().find(".csr.key") == std::string::npos) {
        fs::remove(old, error);
      }
    }
  }
  AdminResponse described = get(name);
  described.status = existed ? 200 : 201;
  described.headers = response.headers;
  return described;
}

AdminResponse CertificateResources::remove(const AdminRequest& request, const std::string& name) {
  std::vector<std::string> files;
  AdminResponse response = editor_.change(
      request,
      [&](json& document) -> std::optional<AdminResponse> {
        if (!document["certificates"].contains(name)) {
          return error_response(404, "certificate \"" + name + "\" does not exist");
        }
        json users = users_of(*backend_.snapshot()->config, name);
        if (!users.empty()) {
          return error_response(409, "certificate \"" + name + "\" is in use by " + users.dump());
        }
        for (const auto& [key, value] : document["certificates"][name].items()) {
          files.push_back(value.get<std::string>());
        }
        document["certificates"].erase(name);
        return std::nullopt;
      },
      204, [](const json&) { return json(); });
  if (response.status == 204) {
    response.body.clear();
    std::error_code error;
    for (const std::string& file : files) {
      if (fs::path(file).parent_path() == fs::path(certificate_directory()))
        fs::remove(file, error);
    }
  }
  return response;
}

AdminResponse CertificateResources::create_csr(const std::string& name, const json& body) {
  if (!config::is_valid_entity_name(name))
    return error_response(422, "invalid name \"" + name + "\"");
  if (!body.is_object() || !body.contains("subject") || !body["subject"].is_string()) {
    return error_response(422, "\"subject\" is required, e.g. \"CN=ws-ext.mycloud.ag,O=MyCloud\"",
                          "/subject");
  }
  if (body.contains("key_type") && !body["key_type"].is_string()) {
    return error_response(422, "\"key_type\" must be \"ecdsa\" or \"rsa\"", "/key_type");
  }
  std::string key_type = body.value("key_type", "ecdsa");
  if (key_type != "ecdsa" && key_type != "rsa") {
    return error_response(422, "\"key_type\" must be \"ecdsa\" or \"rsa\"", "/key_type");
  }
  std::vector<std::string> sans;
  if (body.contains("sans")) {
    if (!body["sans"].is_array()) return error_response(422, "\"sans\" must be an array", "/sans");
    for (const json& san : body["sans"]) {
      if (!san.is_string()) return error_response(422, "\"sans\" must hold strings", "/sans");
      sans.push_back(san.get<std::string>());
    }
  }
  certs::EvpPkeyPtr key(key_type == "rsa" ? EVP_RSA_gen(2048) : EVP_EC_gen("P-256"));
  std::unique_ptr<X509_REQ, decltype(&X509_REQ_free)> csr(X509_REQ_new(), X509_REQ_free);
  X509_NAME* subject = X509_REQ_get_subject_name(csr.get());
  // "CN=a,O=b": one entry per comma-separated attribute.
  std::string text = body["subject"].get<std::string>();
  size_t start = 0;
  while (start < text.size()) {
    size_t comma = text.find(',', start);
    std::string part =
        text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    size_t equals = part.find('=');
    if (equals == std::string::npos ||
        X509_NAME_add_entry_by_txt(
            subject, part.substr(0, equals).c_str(), MBSTRING_UTF8,
            reinterpret_cast<const unsigned char*>(part.c_str() + equals + 1), -1, -1, 0) != 1) {
      net::drain_openssl_errors();
      return error_response(422, "invalid subject attribute \"" + part + "\"", "/subject");
    }
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (!sans.empty()) {
    std::string list;
    for (const std::string& san : sans)
      list.append(list.empty() ? "" : ",").append("DNS:").append(san);
    STACK_OF(X509_EXTENSION)* extensions = sk_X509_EXTENSION_new_null();
    X509_EXTENSION* extension =
        X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name, list.c_str());
    if (!extension) {
      sk_X509_EXTENSION_free(extensions);
      net::drain_openssl_errors();
      return error_response(422, "invalid SAN list", "/sans");
    }
    sk_X509_EXTENSION_push(extensions, extension);
    X509_REQ_add_extensions(csr.get(), extensions);
    sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
  }
  X509_REQ_set_pubkey(csr.get(), key.get());
  if (X509_REQ_sign(csr.get(), key.get(), EVP_sha256()) <= 0) {
    return error_response(500, "cannot sign the CSR: " + net::drain_openssl_errors());
  }
  fs::path directory = certificate_directory();
  std::error_code error;
  fs::create_directories(directory, error);
  certs::BioPtr bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long length = BIO_get_mem_data(bio.get(), &data);
  std::string problem = write_file(directory / (name + ".csr.key"),
                                   std::string(data, static_cast<size_t>(length)), 0600);
  if (!problem.empty()) return error_response(500, problem);
  return json_response(200, {{"name", name},
                             {"csr", pem_of(csr.get())},
                             {"key_type", key_type},
                             {"note",
                              "the private key stays on espd; upload the signed certificate "
                              "under the same name to use it"}});
}

}  // namespace espd::admin
