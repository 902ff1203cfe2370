#!/usr/bin/env bash
# Command 2: installs what is missing, builds, and runs the whole test suite (unit + end-to-end).
# Usage: tools/test.sh [--sanitize | --tsan]
#   --sanitize: the same suite under ASan + UBSan; --tsan: under ThreadSanitizer (not in CI: about
#   2.5-4 minutes on a 2-core machine; run it after changing anything shared between threads)
set -euo pipefail
cd "$(dirname "$0")/.."

tools/install-deps.sh build test
builddir=$(tools/build.sh "$@" | tail -n 1)
if [[ ${1:-} == --sanitize ]]; then
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
  export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
elif [[ ${1:-} == --tsan ]]; then
  export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
fi
exec meson test -C "$builddir" --print-errorlogs --num-processes 2
