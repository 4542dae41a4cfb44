#!/usr/bin/env bash
# quickstart.sh — the README's first command: sets everything up, builds git2dataset (release),
# and runs it on the embedded default (in-process llama.cpp with the small model setup.sh
# fetched) in ./workspace.
#
# Until generation lands, the run is `init`, `doctor` (the model loads and writes schema-valid
# JSON; database, disk and git are ready), `scrape` of this very clone (a local repository, so it
# works offline) and `prepare --dry-run` (what generation would process). It will become
# scrape + prepare + export.
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
# This clone of git2dataset is the example repository (a local path, relative to repos.txt).
grep -q '^\.\.' repos.txt || echo '..    # this clone of git2dataset (added by quickstart.sh)' >>repos.txt
"$exe" doctor
"$exe" scrape
"$exe" prepare --dry-run >dry-run.txt
echo "prepare --dry-run: $(tail -n 1 dry-run.txt) (the full list: workspace/dry-run.txt)"
