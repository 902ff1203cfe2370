// Certificate expiry: days left, and the warnings at 30 and 7 days.
#pragma once

#include <ctime>
#include <string>

#include "certs/certificate_loader.h"

namespace espd::certs {

inline constexpr int kExpiryWarningDays = 30;
inline constexpr int kExpiryUrgentDays = 7;

// Days until not_after, rounded up (negative once expired).
long days_left(const LoadedCertificate& certificate, time_t now);

// 7 within a week, 30 within a month, else 0: the threshold the certificate is past.
int expiry_threshold(long days);

// "2026-12-22"
std::string date_of(time_t when);

}  // namespace espd::certs
