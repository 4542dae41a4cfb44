#!/usr/bin/env bash
# test.sh — the README's test command, and what CI runs (.ci/run): sets everything up, then
# checks formatting, builds the AddressSanitizer+UBSan and ThreadSanitizer presets (both with
# -Werror), runs clang-tidy, runs the whole test suite under both sanitizers, then every fuzz
# target on its seeds and 2,000 inputs from a fixed seed (the fuzz smoke: the `fuzz` preset,
# scripts/fuzz.sh).
#
#   scripts/test.sh              everything
#   scripts/test.sh --quick      the `unit` tier (no model, no server) in the dev preset: the
#                                edit-compile-test loop (no format or tidy check)
#   G2D_TEST_PRESETS="dev" scripts/test.sh   only the given presets (space-separated)
#
# Test tiers are CTest labels (tests/CMakeLists.txt): unit, model, server, e2e.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"

quick=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    *) printf 'usage: scripts/test.sh [--quick]\n' >&2; exit 2 ;;
  esac
done

if ((quick)); then
  "$here/setup.sh"
else
  "$here/setup.sh" --with-ollama --with-mlx --with-datasets
fi
# shellcheck source=scripts/env.sh
source "$here/env.sh"
cd "$root"

jobs="$(nproc)"
step() { printf '\n=== [%dm%02ds] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*" >&2; }

if ((quick)); then
  step "configure + build: dev"
  cmake --preset dev >/dev/null
  cmake --build --preset dev -j "$jobs"
  step "tests: the unit tier (dev)"
  ctest --preset dev -L '^unit$'
  step "unit tier green"
  exit 0
fi

read -r -a presets <<<"${G2D_TEST_PRESETS:-asan tsan}"
first=""
for preset in "${presets[@]}"; do
  step "configure + build: $preset"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  if [[ -z "$first" ]]; then
    first="$preset"
    step "clang-format"
    cmake --build --preset "$preset" --target check-format
    step "clang-tidy"
    cmake --build --preset "$preset" --target check-tidy
  fi
  step "tests: $preset"
  ctest --preset "$preset"
done
# Deterministic (a fixed seed and count): the seeds, then 2,000 inputs of each target.
step "fuzz smoke"
"$here/fuzz.sh" all 120 -seed=1 -runs=2000
step "all green"
