#!/usr/bin/env bash
# quickstart.sh — the README's first command: sets everything up, builds git2dataset (release),
# and runs it on the embedded default (in-process llama.cpp with the small model setup.sh
# fetched) in ./workspace.
#
# The run: `init`, `doctor` (the model loads and writes schema-valid JSON), `scrape` of a small
# example repository made from three of this clone's own files (a local repository, so it works
# offline), `prepare --dry-run` (what will be processed), then `run`: scrape, prepare (questions
# and answers by the small model, stored in workspace/git2dataset.db) and export (the dataset in
# workspace/dataset.jsonl, OpenAI chat format), then `status`. A second run finds nothing to redo.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
"$here/setup.sh"
# shellcheck source=scripts/env.sh
source "$here/env.sh"
cd "$root"

cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"
exe="$root/build/release/src/git2dataset"

mkdir -p workspace
cd workspace
[[ -f git2dataset.yaml ]] || "$exe" init
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
"$exe" doctor
"$exe" scrape
"$exe" prepare --dry-run
# scrape + prepare + export in one go. Small settings so it takes a minute or two on a laptop CPU
# with the 135M model.
"$exe" run --set llm.questions_per_file=2 --set llm.default_max_tokens=256 \
  --format openai --output dataset.jsonl
"$exe" status
echo "the dataset: $(pwd)/dataset.jsonl; its first line:"
head -n 1 dataset.jsonl
