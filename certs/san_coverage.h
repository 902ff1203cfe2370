// SAN coverage: every host a virtual service publishes (allowed hosts, route hosts) must be
// covered by a certificate of its listener, or clients get a name-mismatch error: the classic
// mistake when a simple URL or a new pool's FQDN is added but the certificate is not reissued.
#pragma once

#include <string>

#include "certs/server_tls_context.h"
#include "proxy/config/config_model.h"
#include "proxy/config/diagnostic.h"

namespace espd::certs {

// A warning (an error with tls.require_san_coverage) for every uncovered host, naming the host
// and the listener's certificates.
void check_san_coverage(const config::VirtualServiceConfig& service, const ServerTlsContext& tls,
                        const std::string& pointer, config::Diagnostics& diagnostics);

}  // namespace espd::certs
