#!/usr/bin/env bash
# bench.sh — builds the release preset with benchmarks and runs them; prints each benchmark's
# result as a ratio against its reference from the same run (for docs/benchmarks.md).
#   scripts/bench.sh            all benchmarks
#   scripts/bench.sh discover   one of: engine, discover, pipeline, servers, routing, export
#   scripts/bench.sh quality [tiny|code|both]   the dataset's quality (not part of "all"; below)
# The servers benchmark needs Ollama (scripts/setup.sh --with-ollama); it runs each backend once.
# The discovery benchmark generates a 100,000-file tree (about 1 GB) once, under
# ~/.cache/git2dataset/bench (G2D_BENCH_TREE overrides), and reuses it.
#
# The quality benchmark runs `git2dataset scrape`, `prepare` and `export` on a fixed corpus of
# real code (scripts/quality/corpus.txt: 12 files from pinned PyPI and npm packages, built into a
# local git repository by scripts/quality/corpus.py) with each model — the tiny default model
# and the code model of `scripts/setup.sh --with-quality-model` (default: both) — in a fresh
# folder $G2D_QUALITY_OUT/<tiny|code> (default build/quality/); scripts/quality/report.py then
# measures what was stored, prints a markdown table row per model for docs/benchmarks.md, and
# writes reading.md there: 20 samples drawn with a fixed seed, for a person to read blind (and
# reading-exported.md: 20 drawn from the export).
# G2D_QUALITY_THREADS sets llm.threads (default 1; 0 = all cores, for a machine of its own);
# G2D_QUALITY_MODE sets generation.mode (default two_step, the default's; pairs writes to
# <tiny|code>-pairs); G2D_QUALITY_PROMPTS names a folder of prompt files (llm.prompts_dir) to
# compare with the built-in ones (write each run to its own G2D_QUALITY_OUT).
#
#   scripts/bench.sh peers [N]   usable question/answer pairs per minute against a peer tool (not
# part of "all"): synthetic-data-kit 0.0.5 (scripts/setup.sh --with-peers) and git2dataset's openai
# backend on one llama-server (--metrics, 4 slots of 4096 tokens, 2 threads), then git2dataset's
# embedded engine alone, all on the quality corpus with the code model, 3 pairs per file, answers
# of at most 256 tokens (N: only the first N files, a trial). scripts/peers/run.py drives it and
# writes report.md (the table), reading-A.md ... (20 pairs per tool for a blind reading) and
# reading-key.json under $G2D_PEERS_OUT (default build/peers/). G2D_PEERS_MODES: git2dataset's
# generation modes to run (default two_step,pairs). G2D_PEERS_RUNS: synthetic-data-kit's runs
# (default 3; its row is the median one — its time varied 2x between single runs).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
# shellcheck source=scripts/env.sh
source "$here/env.sh"
cd "$root"
which="${1:-all}"

# quality_run label model-path out-dir corpus: one model's run and report (report.md, reading.md).
quality_run() {
  local label="$1" model="$2" dir="$3" corpus="$4"
  rm -rf "$dir"
  mkdir -p "$dir"
  # The defaults, except an answer's budget: 512 tokens bound what a looping small model costs
  # (an answer that reaches it is flagged truncated, which the report counts); and one thread:
  # on a machine shared with other work, llama.cpp's threads wait for each other at every step
  # while one of them is descheduled (measured: 2 threads made almost no progress at load 13).
  printf 'llm:\n  backend: llama_cpp\n  model: "%s"\n  default_max_tokens: 512\n  threads: %s\n' \
    "$model" "${G2D_QUALITY_THREADS:-1}" >"$dir/git2dataset.yaml"
  if [[ -n "${G2D_QUALITY_PROMPTS:-}" ]]; then
    printf '  prompts_dir: "%s"\n' "$G2D_QUALITY_PROMPTS" >>"$dir/git2dataset.yaml"
  fi
  printf 'generation:\n  mode: %s\n' "$quality_mode" >>"$dir/git2dataset.yaml"
  printf 'resources:\n  enable_battery_monitoring: false\n' >>"$dir/git2dataset.yaml"
  printf '%s\n' "$corpus" >"$dir/repos.txt"
  local g2d="$root/build/release/src/git2dataset" files start end rc=0
  files="$(git -C "$corpus" ls-files '*.py' '*.js' '*.c' | wc -l)"
  if ! (cd "$dir" && "$g2d" scrape >scrape.log 2>&1); then
    cat "$dir/scrape.log" >&2
    echo "[bench] scrape failed" >&2
    return 1
  fi
  echo "[bench] quality: $label, prepare on $files files (see $dir/prepare.log)" >&2
  start="$(date +%s.%N)"
  (cd "$dir" && "$g2d" prepare >prepare.log 2>&1) || rc=$?
  end="$(date +%s.%N)"
  if ((rc != 0 && rc != 1)); then # 1: some file failed, which the report counts
    tail -20 "$dir/prepare.log" >&2
    echo "[bench] prepare exited $rc" >&2
    return 1
  fi
  (cd "$dir" && "$g2d" export --format raw --output dataset.jsonl >export.log 2>&1)
  python3 "$here/quality/report.py" --db "$dir/git2dataset.db" --dataset "$dir/dataset.jsonl" \
    --model "$label" --prepare-seconds "$(python3 -c "print($end - $start)")" --files "$files" \
    --reading "$dir/reading.md" --reading-exported "$dir/reading-exported.md" --json "$dir/report.json" >"$dir/report.md"
}

if [[ "$which" == quality ]]; then
  models="${2:-both}"
  if [[ "$models" != tiny && "$models" != code && "$models" != both ]]; then
    echo "usage: scripts/bench.sh quality [tiny|code|both]" >&2
    exit 2
  fi
  if [[ "$models" != tiny && ! -f "$G2D_QUALITY_MODEL" ]]; then
    echo "[bench] no code model at $G2D_QUALITY_MODEL: run scripts/setup.sh --with-quality-model" >&2
    exit 1
  fi
  cmake --preset release >/dev/null
  cmake --build --preset release --target git2dataset -j "$(nproc)" >/dev/null
  corpus="$(python3 "$here/quality/corpus.py" "$here/quality/corpus.txt" "$G2D_CACHE")"
  out="${G2D_QUALITY_OUT:-$root/build/quality}"
  quality_mode="${G2D_QUALITY_MODE:-two_step}"
  suffix="" label=""
  if [[ "$quality_mode" != two_step ]]; then
    suffix="-$quality_mode" label=", $quality_mode"
  fi
  load="$(uptime | sed 's/.*load average: //')"
  rm -f "$out"/{tiny,code}"$suffix"/report.md
  if [[ "$models" != code ]]; then
    quality_run "SmolLM2-135M-Instruct Q4_1$label" "$G2D_MODEL" "$out/tiny$suffix" "$corpus"
  fi
  if [[ "$models" != tiny ]]; then
    quality_run "Qwen2.5-Coder-0.5B-Instruct Q4_K_M$label" "$G2D_QUALITY_MODEL" \
      "$out/code$suffix" "$corpus"
  fi
  echo "$(date -u +%F), commit $(git rev-parse --short HEAD), $(nproc) cores" \
    "($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), load average" \
    "before: $load; after: $(uptime | sed 's/.*load average: //')"
  for m in tiny code; do
    if [[ -f "$out/$m$suffix/report.md" ]]; then
      echo
      cat "$out/$m$suffix/report.md"
    fi
  done
  exit 0
fi

if [[ "$which" == peers ]]; then
  server="$G2D_LLAMA_PREFIX/bin/llama-server"
  for need in "$G2D_PEERS_VENV/bin/synthetic-data-kit:--with-peers" \
    "$G2D_QUALITY_MODEL:--with-quality-model" "$server:"; do
    if [[ ! -e "${need%%:*}" ]]; then
      echo "[bench] missing ${need%%:*}: run scripts/setup.sh ${need#*:}" >&2
      exit 1
    fi
  done
  cmake --preset release >/dev/null
  cmake --build --preset release --target git2dataset -j "$(nproc)" >/dev/null
  corpus="$(python3 "$here/quality/corpus.py" "$here/quality/corpus.txt" "$G2D_CACHE")"
  load="$(uptime | sed 's/.*load average: //')"
  "$G2D_PEERS_VENV/bin/python" "$here/peers/run.py" --g2d "$root/build/release/src/git2dataset" \
    --sdk-venv "$G2D_PEERS_VENV" --server "$server" --model "$G2D_QUALITY_MODEL" \
    --corpus "$corpus" --out "${G2D_PEERS_OUT:-$root/build/peers}" --files "${2:-0}" \
    --modes "${G2D_PEERS_MODES:-two_step,pairs}" --peer-runs "${G2D_PEERS_RUNS:-3}"
  echo "$(date -u '+%F %H:%M UTC'), commit $(git rev-parse --short HEAD), $(nproc) cores" \
    "($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), load average" \
    "before: $load; after: $(uptime | sed 's/.*load average: //')"
  exit 0
fi

cmake --preset release -DG2D_BUILD_BENCH=ON >/dev/null
cmake --build --preset release --target engine_bench discover_bench pipeline_bench server_bench \
  routing_bench export_bench -j "$(nproc)"

run_bench() { # binary output.json
  "build/release/bench/$1" --benchmark_out="$2" --benchmark_out_format=json \
    --benchmark_repetitions=3 --benchmark_report_aggregates_only=true >/dev/null
}

# report output.json python-code: runs the code with `med(name)`, the median of a benchmark.
report() {
  python3 - "$1" <<PY
import json, sys
runs = json.load(open(sys.argv[1]))["benchmarks"]
def med(name):
    return next(b for b in runs if b["name"].startswith(name + "/") and b["name"].endswith("_median"))
$2
PY
}

if [[ "$which" == all || "$which" == engine ]]; then
  out="$(mktemp)"
  run_bench engine_bench "$out"
  report "$out" "$(cat <<'PY'
ref, batched = med("BM_EngineOneAtATime"), med("BM_EngineBatched")
print(f"engine, 4 requests x 48 tokens: one at a time {ref['real_time']:.0f} ms "
      f"({ref['tokens_per_second']:.0f} tok/s), batched {batched['real_time']:.0f} ms "
      f"({batched['tokens_per_second']:.0f} tok/s): batched/reference throughput = "
      f"{batched['tokens_per_second'] / ref['tokens_per_second']:.2f}x")
ref, shared = med("BM_FileWithoutPrefixSharing"), med("BM_FileWithPrefixSharing")
print(f"engine, one file (questions + 4 answers): without sharing {ref['real_time']:.0f} ms "
      f"({ref['prompt_tokens_evaluated_per_file']:.0f} prompt tokens evaluated), with prefix "
      f"sharing {shared['real_time']:.0f} ms ({shared['prompt_tokens_evaluated_per_file']:.0f}): "
      f"reference/shared time = {ref['real_time'] / shared['real_time']:.2f}x, prompt tokens "
      f"evaluated = {shared['prompt_tokens_evaluated_per_file'] / ref['prompt_tokens_evaluated_per_file']:.2f}x")
for arg, label in ((0, "tiny model"), (1, "code model")):
    try:
        ref, drafted = med(f"BM_AnswersPlain/{arg}"), med(f"BM_AnswersDrafted/{arg}")
    except StopIteration:
        print(f"engine, answers with prompt-lookup drafts, {label}: skipped")
        continue
    print(f"engine, 4 answers about a file, {label}: plain {ref['tokens_per_second']:.1f} tok/s, "
          f"8-token prompt-lookup drafts {drafted['tokens_per_second']:.1f} tok/s "
          f"(acceptance {drafted['acceptance']:.2f}, {drafted['accepted_per_token']:.2f} kept "
          f"per token): drafted/plain = "
          f"{drafted['tokens_per_second'] / ref['tokens_per_second']:.2f}x")
PY
)"
  rm -f "$out"
fi

if [[ "$which" == all || "$which" == discover ]]; then
  out="$(mktemp)"
  run_bench discover_bench "$out"
  report "$out" "$(cat <<'PY'
ref, ours = med("BM_ReferenceGitLsFilesSha256sum"), med("BM_Discover")
print(f"discover + SHA-256, {ours['files']:.0f} files, {ours['bytes'] / 1e9:.2f} GB: "
      f"reference (git ls-files | xargs sha256sum) {ref['real_time']:.0f} ms, "
      f"discover {ours['real_time']:.0f} ms, peak RSS {ours['peak_rss_mib']:.0f} MiB: "
      f"reference/discover time = {ref['real_time'] / ours['real_time']:.2f}x")
PY
)"
  rm -f "$out"
fi

if [[ "$which" == all || "$which" == pipeline ]]; then
  out="$(mktemp)"
  run_bench pipeline_bench "$out"
  report "$out" "$(cat <<'PY'
ref, ours = med("BM_StoreCommitOnly"), med("BM_PrepareInstantBackend")
print(f"pipeline overhead, 10,000 files x 5 pairs, instant fake backend: store commits alone "
      f"{ref['files_per_second']:.0f} files/s, prepare {ours['files_per_second']:.0f} files/s: "
      f"prepare/reference = {ours['files_per_second'] / ref['files_per_second']:.2f}x")
one, four = med("BM_PrepareTinyModel/1"), med("BM_PrepareTinyModel/4")
print(f"pipeline on the tiny model, 4 files x 2 pairs: max_concurrent_files 1 "
      f"{one['qa_per_minute']:.0f} QA/min, 4 {four['qa_per_minute']:.0f} QA/min: "
      f"4/1 = {four['qa_per_minute'] / one['qa_per_minute']:.2f}x")
PY
)"
  rm -f "$out"
fi

if [[ "$which" == all || "$which" == servers ]]; then
  out="$(mktemp)"
  build/release/bench/server_bench --benchmark_out="$out" --benchmark_out_format=json >/dev/null
  python3 - "$out" <<'PY'
import json, sys
runs = {b["name"].split("/")[0]: b for b in json.load(open(sys.argv[1]))["benchmarks"]}
ref = runs["BM_ServerEmbeddedEngine"]
for name, label in [("BM_ServerEmbeddedEngine", "embedded engine"),
                    ("BM_ServerLlamaServer", "llama-server, 4 slots"),
                    ("BM_ServerOllama", "Ollama, 4 parallel")]:
    b = runs.get(name)
    if b is None or b.get("error_occurred"):
        print(f"{label}: not run ({b.get('error_message') if b else 'missing'})")
        continue
    print(f"{label}: {b['qa_per_minute']:.1f} QA/min ({b['qa_per_minute'] / ref['qa_per_minute']:.2f}x "
          f"the engine), {b['prompt_tokens_evaluated_per_file']:.0f} prompt tokens evaluated per file "
          f"({b['prompt_tokens_evaluated_per_file'] / ref['prompt_tokens_evaluated_per_file']:.2f}x)")
PY
  rm -f "$out"
fi

if [[ "$which" == all || "$which" == routing ]]; then
  out="$(mktemp)"
  build/release/bench/routing_bench --benchmark_out="$out" --benchmark_out_format=json >/dev/null
  python3 - "$out" <<'PY'
import json, sys
runs = {b["name"].split("/")[0]: b for b in json.load(open(sys.argv[1]))["benchmarks"]}
ref = runs["BM_RoutingOneServer"]
for name, label in [("BM_RoutingOneServer", "one llama-server, 4 slots, 2 threads"),
                    ("BM_RoutingTwoServersRouted", "two servers, router"),
                    ("BM_RoutingTwoServersRoundRobin", "two servers, round-robin proxy"),
                    ("BM_RoutingThreeServersRouted", "three servers, router")]:
    b = runs.get(name)
    if b is None or b.get("error_occurred"):
        print(f"{label}: not run ({b.get('error_message') if b else 'missing'})")
        continue
    print(f"{label}: {b['qa_per_minute']:.1f} QA/min ({b['qa_per_minute'] / ref['qa_per_minute']:.2f}x "
          f"one server), {b['prompt_tokens_evaluated_per_file']:.0f} prompt tokens evaluated per file "
          f"({b['prompt_tokens_evaluated_per_file'] / ref['prompt_tokens_evaluated_per_file']:.2f}x)")
PY
  rm -f "$out"
fi

if [[ "$which" == all || "$which" == export ]]; then
  out="$(mktemp)"
  build/release/bench/export_bench --benchmark_out="$out" --benchmark_out_format=json >/dev/null
  python3 - "$out" <<'PY'
import json, sys
runs = {b["name"].split("/iterations")[0]: b for b in json.load(open(sys.argv[1]))["benchmarks"]}
for n in ("100000", "1000000"):
    ref, ours = runs[f"BM_ReadSamplesOnly/{n}"], runs[f"BM_Export/{n}"]
    print(f"export, {int(n):,} samples (openai, code included): reading alone "
          f"{ref['samples_per_second']:.0f}/s, export {ours['samples_per_second']:.0f}/s: "
          f"export/reference = {ours['samples_per_second'] / ref['samples_per_second']:.2f}x, "
          f"RSS growth {ours['rss_growth_mib']:.1f} MiB")
PY
  rm -f "$out"
fi
