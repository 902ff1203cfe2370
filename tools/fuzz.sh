#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan, into build-fuzz/) and runs each over its seed
# corpus for a bounded time, two at a time. Fails on any crash, leak, timeout, UBSan report or
# broken invariant: the input is kept in build-fuzz/artifacts/, the output in build-fuzz/fuzz-logs/.
# What the fuzzers learn accumulates in fuzz/corpus-work/ (not in git). docs/FUZZING.md explains.
# Usage: tools/fuzz.sh [seconds-per-target] [target...]   (default: 30 s, every target)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-30}
shift || true
[[ $seconds =~ ^[0-9]+$ ]] || { echo "fuzz.sh: seconds must be a number, got '$seconds'" >&2; exit 2; }

tools/install-deps.sh build fuzz

builddir=build-fuzz
if [[ ! -f $builddir/build.ninja ]]; then
  # -O1: a third faster to compile than -O2 and as good at finding bugs under the sanitizers.
  CC=clang CXX=clang++ meson setup "$builddir" -Dfuzz=true -Dtests=false \
    -Db_sanitize=address,undefined -Db_lundef=false -Doptimization=1 -Ddebug=true >/dev/null
fi

all_targets=$(sed -n "s/^  '\([a-z0-9_]*\)',$/\1/p" fuzz/meson.build)
targets=("$@")
((${#targets[@]})) || read -r -a targets <<<"$(echo $all_targets)"
for target in "${targets[@]}"; do
  grep -qx "$target" <<<"$all_targets" || { echo "fuzz.sh: no target '$target' ($(echo $all_targets))" >&2; exit 2; }
done
ninja -C "$builddir" "${targets[@]/#/fuzz/fuzz_}" >&2

mkdir -p "$builddir/artifacts" "$builddir/fuzz-logs"
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export TMPDIR=$PWD/$builddir/tmp  # scratch directories of the config and admin targets
mkdir -p "$TMPDIR"

run_target() {
  local target=$1
  local work=fuzz/corpus-work/$target
  mkdir -p "$work"
  # The seeds are read, never written: new inputs go to the work corpus.
  timeout $((seconds + 120)) "$builddir/fuzz/fuzz_$target" "$work" "fuzz/corpus/$target" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
    -error_exitcode=77 -timeout_exitcode=78 -print_final_stats=1 \
    -artifact_prefix="$builddir/artifacts/$target-" >"$builddir/fuzz-logs/$target.log" 2>&1
}

summary() {
  local target=$1 status=$2 log=$builddir/fuzz-logs/$1.log
  local runs rate rss
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
  if ((status == 0)); then
    printf 'fuzz: %-20s ok      %9s runs  %7s/s  %5s MB\n' "$target" "${runs:-?}" "${rate:-?}" "${rss:-?}"
  else
    printf 'fuzz: %-20s FAILED (exit %s), see %s\n' "$target" "$status" "$log"
    grep -E 'invariant violated|ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|runtime error|Test unit written' \
      "$log" | head -n 5 | sed 's/^/fuzz:   /'
  fi
}

failed=0
declare -A pids=()
for target in "${targets[@]}"; do
  while ((${#pids[@]} >= 2)); do
    for running in "${!pids[@]}"; do
      if ! kill -0 "${pids[$running]}" 2>/dev/null; then
        status=0
        wait "${pids[$running]}" || status=$?
        summary "$running" "$status"
        ((status == 0)) || failed=1
        unset "pids[$running]"
      fi
    done
    ((${#pids[@]} < 2)) || sleep 1
  done
  run_target "$target" &
  pids[$target]=$!
done
for running in "${!pids[@]}"; do
  status=0
  wait "${pids[$running]}" || status=$?
  summary "$running" "$status"
  ((status == 0)) || failed=1
done
if ((failed)); then
  echo "fuzz: FAILED; reproduce with: $builddir/fuzz/fuzz_<target> $builddir/artifacts/<file>" >&2
  exit 1
fi
echo "fuzz: every target ran ${seconds} s without a finding"
