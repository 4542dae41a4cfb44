#!/usr/bin/env bash
# fuzz.sh — builds the libFuzzer targets (the `fuzz` preset: clang-14, ASan + UBSan) and runs
# one, or each in turn, for a number of seconds on a copy of its seed corpus.
#
#   scripts/fuzz.sh TARGET SECONDS [LIBFUZZER_FLAGS...]   e.g. scripts/fuzz.sh redact 60
#   scripts/fuzz.sh all SECONDS [LIBFUZZER_FLAGS...]      every target, one after the other
#   scripts/fuzz.sh list                                  the targets
#
# TARGET is a file name under fuzz/ without `_fuzzer.cpp` (redact, sse, ...). The seed corpus
# fuzz/corpus/<target>_fuzzer/ is never written: new inputs go to build/fuzz/work/<target>/corpus
# (kept between runs, so a long campaign grows it), crashes to build/fuzz/work/<target>/. One job
# at a time, in one process. Prints each target's execution count and rate; exits non-zero when a
# target crashed, leaked or broke an invariant.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"

usage() {
  printf 'usage: scripts/fuzz.sh TARGET|all SECONDS [LIBFUZZER_FLAGS...] | list\n' >&2
  exit 2
}
targets() {
  local f
  for f in "$root"/fuzz/*_fuzzer.cpp; do
    f="${f##*/}"
    printf '%s\n' "${f%_fuzzer.cpp}"
  done
}

[[ $# -ge 1 ]] || usage
if [[ "$1" == list ]]; then
  targets
  exit 0
fi
[[ $# -ge 2 && "$2" =~ ^[0-9]+$ ]] || usage
which="$1"
seconds="$2"
shift 2
if [[ "$which" == all ]]; then
  mapfile -t run < <(targets)
else
  [[ -f "$root/fuzz/${which}_fuzzer.cpp" ]] || { printf 'fuzz.sh: no target %s\n' "$which" >&2; usage; }
  run=("$which")
fi

# shellcheck source=scripts/env.sh
source "$here/env.sh"
cd "$root"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)" --target "${run[@]/%/_fuzzer}"

status=0
for target in "${run[@]}"; do
  work="$root/build/fuzz/work/$target"
  mkdir -p "$work/corpus"
  cp -n "$root/fuzz/corpus/${target}_fuzzer/"* "$work/corpus/" 2>/dev/null || true
  log="$work/last.log"
  printf '\n=== fuzz %s (%s s)\n' "$target" "$seconds" >&2
  rc=0
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
    UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}" \
    "$root/build/fuzz/fuzz/${target}_fuzzer" -max_total_time="$seconds" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/" "$@" \
    "$work/corpus" >"$log" 2>&1 || rc=$?
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
  printf '%s: %s executions, %s exec/s, corpus %s files\n' "$target" "${runs:-?}" "${rate:-?}" \
    "$(find "$work/corpus" -type f | wc -l)"
  if ((rc != 0)); then
    status=1
    printf '%s: FAILED (exit %d); the report:\n' "$target" "$rc" >&2
    grep -E -A30 'ERROR|invariant failed|runtime error|SUMMARY' "$log" | head -60 >&2 || tail -40 "$log" >&2
  fi
done
exit "$status"
