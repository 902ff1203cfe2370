// Certificate expiry: days left, and the warnings at 30 and 7 days.
#include "certs/certificate_expiry.h"

namespace espd::certs {

long days_left(const LoadedCertificate& certificate, time_t now) {
  // Rounded up: with 19.9 days to go, a certificate has "20 days left".
  time_t remaining = certificate.not_after - now;
  return static_cast<long>(remaining >= 0 ? (remaining + 86399) / 86400 : remaining / 86400);
}

int expiry_threshold(long days) {
  if (days <= kExpiryUrgentDays) return kExpiryUrgentDays;
  if (days <= kExpiryWarningDays) return kExpiryWarningDays;
  return 0;
}

std::string date_of(time_t when) {
  std::tm utc{};
  gmtime_r(&when, &utc);
  char text[16];
  std::strftime(text, sizeof(text), "%Y-%m-%d", &utc);
  return text;
}

}  // namespace espd::certs
