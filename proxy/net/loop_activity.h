// A per-thread count of socket events handled (reads, writes, accepts): the worker's busy-poll
// loop compares it before and after a non-blocking turn to tell whether anything happened.
#pragma once

#include <cstdint>

namespace espd::net {

inline thread_local uint64_t loop_activity = 0;

}  // namespace espd::net
