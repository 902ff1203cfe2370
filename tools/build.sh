#!/usr/bin/env bash
# Configures (once) and builds espd. --sanitize builds with ASan + UBSan into build-asan/,
# --tsan with ThreadSanitizer into build-tsan/.
# Usage: tools/build.sh [--sanitize | --tsan]    prints the build directory on the last line
set -euo pipefail
cd "$(dirname "$0")/.."

builddir=build
options=()
if [[ ${1:-} == --sanitize ]]; then
  builddir=build-asan
  options=(-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized)
elif [[ ${1:-} == --tsan ]]; then
  builddir=build-tsan
  options=(-Db_sanitize=thread -Db_lundef=false -Dbuildtype=debugoptimized)
fi
if [[ ! -f $builddir/build.ninja ]]; then
  meson setup "$builddir" "${options[@]}" >/dev/null
fi
ninja -C "$builddir" >&2
echo "$builddir"
