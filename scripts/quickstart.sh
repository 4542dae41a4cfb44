#!/usr/bin/env bash
# quickstart.sh — the README's first command: sets everything up, builds git2dataset (release),
# and runs it on the embedded default (in-process llama.cpp with the small model setup.sh
# fetched) in ./workspace.
#
# Until the `prepare` pipeline lands, the run is `init` + `doctor`: it proves the model loads
# and the database, disk and git are ready. It will become scrape + prepare + export.
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
"$exe" doctor
