// The certificate resources of the admin API: upload (PEM or PKCS#12), listing, deletion, and
// CSRs whose private key never leaves the appliance. Files go to "certs/" in the configuration
// directory; each upload gets new file names, so a rejected upload leaves everything as it was.
#pragma once

#include <string>

#include "proxy/admin/admin_types.h"
#include "proxy/admin/config_editor.h"

namespace espd::admin {

class CertificateResources {
 public:
  explicit CertificateResources(AdminBackend& backend) : backend_(backend), editor_(backend) {}

  AdminResponse list();
  AdminResponse get(const std::string& name);
  // Body: {"name", "cert", "key"?, "chain"?} (PEM text) or {"name", "pkcs12" (base64),
  // "password"?}. Without "key", the certificate joins the key of an earlier CSR for that name.
  AdminResponse upload(const AdminRequest& request, const nlohmann::json& body);
  AdminResponse remove(const AdminRequest& request, const std::string& name);
  // Body: {"subject": "CN=...,O=...", "sans": [...], "key_type": "ecdsa" | "rsa"}.
  AdminResponse create_csr(const std::string& name, const nlohmann::json& body);

 private:
  std::string certificate_directory() const;
  nlohmann::json describe(const std::string& name, const config::Config& config) const;

  AdminBackend& backend_;
  ConfigEditor editor_;
};

}  // namespace espd::admin
