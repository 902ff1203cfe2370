// SAN coverage of the hosts a virtual service publishes.
#include "certs/san_coverage.h"

#include <set>

namespace espd::certs {
namespace {

std::string host_of(std::string host) {
  for (char& c : host)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!host.empty() && host.back() == '.') host.pop_back();
  return host;
}

}  // namespace

void check_san_coverage(const config::VirtualServiceConfig& service, const ServerTlsContext& tls,
                        const std::string& pointer, config::Diagnostics& diagnostics) {
  std::string certificates;
  for (const ServerTlsContext::Entry& entry : tls.entries()) {
    if (!certificates.empty()) certificates += ", ";
    certificates += "\"" + entry.certificate->name + "\"";
  }
  auto check = [&](const std::string& host, const std::string& where) {
    std::string name = host_of(host);
    for (const ServerTlsContext::Entry& entry : tls.entries()) {
      if (entry.certificate->covers(name)) return;
    }
    std::string message = "host \"" + host +
                          "\" is not covered by any certificate of this listener (" + certificates +
                          "): clients will get a certificate name mismatch";
    if (service.tls->require_san_coverage) {
      diagnostics.error(service.source_file, where, message);
    } else {
      diagnostics.warning(service.source_file, where, message);
    }
  };
  for (size_t i = 0; i < service.esp.allowed_hosts.size(); ++i) {
    check(service.esp.allowed_hosts[i], pointer + "/esp/allowed_hosts/" + std::to_string(i));
  }
  for (size_t r = 0; r < service.routes.size(); ++r) {
    for (size_t i = 0; i < service.routes[r].hosts.size(); ++i) {
      check(service.routes[r].hosts[i],
            pointer + "/routes/" + std::to_string(r) + "/hosts/" + std::to_string(i));
    }
  }
}

}  // namespace espd::certs
