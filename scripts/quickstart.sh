#!/usr/bin/env bash
# quickstart.sh — the README's first command: sets everything up, builds git2dataset (release),
# and runs it on the embedded default backend (in-process llama.cpp) in ./workspace, with the
# pinned code model (Qwen2.5-Coder-0.5B-Instruct, `setup.sh --with-quality-model`): on 2 cores it
# takes a few minutes more than the tiny default model and writes a dataset worth reading (see
# docs/benchmarks.md, "Dataset quality"). A new workspace's git2dataset.yaml names it as llm.model.
#
# The run: `init`, `doctor` (the model loads and writes schema-valid JSON), `scrape` of a small
# example repository made from three of this clone's own files (a local repository, so it works
# offline), `prepare --dry-run` (what will be processed), then `run`: scrape, prepare (questions
# and answers by the code model, stored in workspace/git2dataset.db) and export (the dataset in
# workspace/dataset.jsonl, OpenAI chat format), then `status`. A second run finds nothing to redo.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
"$here/setup.sh" --with-quality-model
# shellcheck source=scripts/env.sh
source "$here/env.sh"
cd "$root"

cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
exe="$root/build/release/src/git2dataset"

mkdir -p workspace
cd workspace
if [[ ! -f git2dataset.yaml ]]; then
  "$exe" init
  sed -i "s|^  model: \"\"\$|  model: \"$G2D_QUALITY_MODEL\"|" git2dataset.yaml
  grep -qF "model: \"$G2D_QUALITY_MODEL\"" git2dataset.yaml ||
    { echo "quickstart: could not set llm.model in git2dataset.yaml" >&2; exit 1; }
fi
# A small example repository: three of git2dataset's own source files, committed with git.
if [[ ! -d example-repo/.git ]]; then
  mkdir -p example-repo
  cp "$root/src/core/text.cpp" "$root/src/sys/sha256.cpp" "$root/src/core/error.cpp" example-repo/
  git -C example-repo init -q
  git -C example-repo add -A
  git -C example-repo -c user.name=quickstart -c user.email=quickstart@localhost \
    commit -q -m "example repository for the quick start"
fi
grep -q '^example-repo' repos.txt || echo 'example-repo    # added by quickstart.sh' >>repos.txt
# Three questions a file, answers of at most 256 tokens (the code model's average is about 60):
# the dry run is given them too, so that it plans what the run does (they are generation settings).
settings=(--set llm.questions_per_file=3 --set llm.default_max_tokens=256)
"$exe" doctor
"$exe" scrape
"$exe" prepare --dry-run "${settings[@]}"
# scrape + prepare + export in one go, half a minute on 2 cores once the model is loaded.
"$exe" run "${settings[@]}" --format openai --output dataset.jsonl
"$exe" status
echo "the dataset: $(pwd)/dataset.jsonl; its first line:"
head -n 1 dataset.jsonl
