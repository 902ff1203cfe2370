#!/usr/bin/env bash
# Installs the Debian packages espd needs, only those missing (quick when all are present).
# Usage: tools/install-deps.sh [build] [test] [bench] [fuzz]     (default: build test)
set -euo pipefail

groups=("$@")
((${#groups[@]})) || groups=(build test)

packages=()
for group in "${groups[@]}"; do
  case $group in
    build) packages+=(meson ninja-build pkg-config g++ libnghttp2-dev libssl-dev libevent-dev libre2-dev
                      nlohmann-json3-dev catch2 clang-format) ;;
    test) packages+=(openssl curl nghttp2-client python3 python3-h2 python3-pytest procps iproute2 testssl.sh) ;;
    bench) packages+=(haproxy nginx wrk nghttp2-proxy nghttp2-client curl openssl util-linux gcc libssl-dev
                      linux-perf valgrind strace heaptrack) ;;
    fuzz) packages+=(clang libclang-rt-14-dev) ;;
    *) echo "install-deps: unknown group '$group' (build, test, bench, fuzz)" >&2; exit 2 ;;
  esac
done

missing=()
for package in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ $status == "install ok installed" ]] || missing+=("$package")
done
((${#missing[@]})) || exit 0

if [[ $(id -u) -ne 0 ]]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
