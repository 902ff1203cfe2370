// The process's file-descriptor limit: raised at start from the soft to the hard limit, since
// every proxied connection needs two descriptors and the usual soft default (1024) would cap
// espd at a few hundred clients long before any configured limit.
#pragma once

#include <cstdint>

namespace espd::runtime {

// Raises RLIMIT_NOFILE's soft limit to its hard limit; returns the soft limit in effect after.
uint64_t raise_fd_limit();

}  // namespace espd::runtime
