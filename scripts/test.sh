#!/usr/bin/env bash
# test.sh — the README's test command, and what CI runs (.ci/run): sets everything up, then
# checks formatting, builds the AddressSanitizer+UBSan and ThreadSanitizer presets (both with
# -Werror), runs clang-tidy, and runs the whole test suite under both sanitizers.
#
#   scripts/test.sh              everything
#   G2D_TEST_PRESETS="dev" scripts/test.sh   only the given presets (space-separated)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
"$here/setup.sh" --with-ollama --with-mlx --with-datasets
# shellcheck source=scripts/env.sh
source "$here/env.sh"
cd "$root"

read -r -a presets <<<"${G2D_TEST_PRESETS:-asan tsan}"
jobs="$(nproc)"

step() { printf '\n=== %s\n' "$*" >&2; }

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
step "all green"
