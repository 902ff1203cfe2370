// OCSP stapling for front certificates.
#include "certs/ocsp_staple.h"

#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include <memory>

#include "certs/certificate_loader.h"

namespace espd::certs {

bool has_ocsp_responder(X509* certificate) {
  STACK_OF(OPENSSL_STRING)* responders = X509_get1_ocsp(certificate);
  bool any = responders && sk_OPENSSL_STRING_num(responders) > 0;
  X509_email_free(responders);
  return any;
}

std::string load_ocsp_response(const std::string& path, X509* leaf, X509* issuer,
                               std::string& der) {
  std::string contents, error;
  if (!read_small_file(path, contents, error)) return error;
  const unsigned char* cursor = reinterpret_cast<const unsigned char*>(contents.data());
  std::unique_ptr<OCSP_RESPONSE, decltype(&OCSP_RESPONSE_free)> response(
      d2i_OCSP_RESPONSE(nullptr, &cursor, static_cast<long>(contents.size())), OCSP_RESPONSE_free);
  if (!response) return path + " is not a DER OCSP response";
  if (OCSP_response_status(response.get()) != OCSP_RESPONSE_STATUS_SUCCESSFUL) {
    return path + ": the OCSP response status is not \"successful\"";
  }
  std::unique_ptr<OCSP_BASICRESP, decltype(&OCSP_BASICRESP_free)> basic(
      OCSP_response_get1_basic(response.get()), OCSP_BASICRESP_free);
  if (!basic) return path + ": no basic OCSP response";
  if (!issuer) return path + ": the chain has no issuer certificate to match the response";
  std::unique_ptr<OCSP_CERTID, decltype(&OCSP_CERTID_free)> id(
      OCSP_cert_to_id(nullptr, leaf, issuer), OCSP_CERTID_free);
  int status = 0, reason = 0;
  ASN1_GENERALIZEDTIME *revoked = nullptr, *this_update = nullptr, *next_update = nullptr;
  if (OCSP_resp_find_status(basic.get(), id.get(), &status, &reason, &revoked, &this_update,
                            &next_update) != 1) {
    return path + ": the OCSP response is not about this certificate";
  }
  if (status != V_OCSP_CERTSTATUS_GOOD) {
    return path + ": the OCSP response says the certificate is " +
           (status == V_OCSP_CERTSTATUS_REVOKED ? "revoked" : "unknown");
  }
  if (OCSP_check_validity(this_update, next_update, 300, -1) != 1) {
    return path + ": the OCSP response is outside its validity period";
  }
  der = std::move(contents);
  return {};
}

}  // namespace espd::certs
