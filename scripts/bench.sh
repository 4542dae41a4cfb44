#!/usr/bin/env bash
# bench.sh — builds the release preset with benchmarks and runs them; prints each benchmark's
# result as a ratio against its reference from the same run (for docs/benchmarks.md).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
# shellcheck source=scripts/env.sh
source "$here/env.sh"
cd "$root"
cmake --preset release -DG2D_BUILD_BENCH=ON >/dev/null
cmake --build --preset release --target engine_bench -j "$(nproc)"
out="$(mktemp)"
build/release/bench/engine_bench --benchmark_out="$out" --benchmark_out_format=json \
  --benchmark_repetitions=3 --benchmark_report_aggregates_only=true >/dev/null
python3 - "$out" <<'PY'
import json, sys
runs = json.load(open(sys.argv[1]))["benchmarks"]
def med(name):
    return next(b for b in runs if b["name"].startswith(name + "/") and b["name"].endswith("_median"))
ref, batched = med("BM_EngineOneAtATime"), med("BM_EngineBatched")
print(f"engine, 4 requests x 48 tokens: one at a time {ref['real_time']:.0f} ms "
      f"({ref['tokens_per_second']:.0f} tok/s), batched {batched['real_time']:.0f} ms "
      f"({batched['tokens_per_second']:.0f} tok/s): batched/reference throughput = "
      f"{batched['tokens_per_second'] / ref['tokens_per_second']:.2f}x")
PY
rm -f "$out"
