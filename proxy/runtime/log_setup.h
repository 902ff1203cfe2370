// Turning the configuration's logging section into log destinations.
#pragma once

#include <string>

#include "proxy/config/config_model.h"
#include "proxy/log/log_writer.h"

namespace espd::runtime {

log::Destinations log_destinations(const config::Config& config);

// Applies them; returns "" or the error (the previous destinations stay).
std::string apply_log_destinations(const config::Config& config);

}  // namespace espd::runtime
