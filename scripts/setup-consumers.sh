#!/usr/bin/env bash
# setup-consumers.sh VENV_DIR [LOCK_FILE] — setup.sh --with-datasets calls it (scripts/test.sh asks
# for it); the tests find the venv at scripts/env.sh's G2D_DATASETS_VENV. setup.sh --with-peers
# calls it with scripts/peers/requirements.lock for synthetic-data-kit (G2D_PEERS_VENV).
#
# Creates (or reuses) a Python 3.11 virtual environment holding the Hugging Face `datasets`
# library and its dependencies, hash-pinned by scripts/consumers/requirements.lock. The test suite
# uses it to load exported JSONL datasets the way a trainer does (scripts/consumers/
# check_dataset.py).
#
# Idempotent: VENV_DIR/.stamp holds the sha256 of the lock that was installed; a second call with
# the same lock only compares the stamp and returns (a few milliseconds). A changed lock, a
# missing stamp or a broken venv rebuilds it from scratch. Concurrent calls are serialised with
# flock on VENV_DIR.lock (where flock(1) exists).
#
# Needs: Python 3.11 with the venv module (Debian 12: `apt-get install python3-venv`; installed
# here automatically when running as root) and pip access to PyPI. PYTHON=... picks the
# interpreter (default python3). Prints the venv's python path on stdout when done.
#
# CONSUMERS_CHECK=CODE (optional): the Python code that proves the venv works (default: imports
# datasets, pyarrow and pandas and prints their versions); setup.sh --with-peers passes its own.
#
# CONSUMERS_WHEELHOUSE=DIR (optional): keep the downloaded wheels in DIR and install from there
# offline when they are all present. pip's own HTTP cache does not help behind a
# registry proxy whose responses carry no cache headers (as on the CI machines), so a rebuild
# otherwise downloads everything again.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then echo "usage: $0 VENV_DIR [LOCK_FILE]" >&2; exit 2; fi
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LOCK="${2:-$HERE/consumers/requirements.lock}"
[ -f "$LOCK" ] || { echo "setup-consumers: lock file not found: $LOCK" >&2; exit 2; }
mkdir -p "$(dirname "$1")"
VENV="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
PY="${PYTHON:-python3}"
log() { printf '[setup-consumers %s] %s\n' "$(date +%T)" "$*" >&2; }

want="$({ sha256sum "$LOCK" 2>/dev/null || shasum -a 256 "$LOCK"; } | cut -d' ' -f1)"  # shasum: macOS
up_to_date() { [ -x "$VENV/bin/python" ] && [ "$(cat "$VENV/.stamp" 2>/dev/null || true)" = "$want" ]; }

# Fast path: no lock taken, no Python started.
if up_to_date; then echo "$VENV/bin/python"; exit 0; fi

# Serialise concurrent set-ups of the same venv (parallel ctest jobs); macOS has no flock(1).
if command -v flock >/dev/null; then exec 9>"$VENV.lock"; flock 9; fi
if up_to_date; then echo "$VENV/bin/python"; exit 0; fi   # another process just built it

"$PY" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' 2>/dev/null || {
  echo "setup-consumers: needs Python 3.11 (the lock pins cp311 wheels); got $("$PY" -V 2>&1)" >&2
  exit 1; }
if ! "$PY" -c 'import ensurepip, venv' 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "python3-venv missing: apt-get install python3-venv"
    apt-get install -y python3-venv >&2 || { apt-get update >&2 && apt-get install -y python3-venv >&2; }
  else
    echo "setup-consumers: Python's venv/ensurepip is missing; on Debian/Ubuntu run: sudo apt-get install python3-venv" >&2
    exit 1
  fi
fi

default_check='import datasets, pyarrow, pandas; print("datasets", datasets.__version__, "pyarrow", pyarrow.__version__, "pandas", pandas.__version__)'
log "creating $VENV from $(basename "$LOCK") (about 30-60 s)"
rm -rf "$VENV"
"$PY" -m venv "$VENV"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
pip_install() { "$VENV/bin/python" -m pip install -q --require-hashes --only-binary=:all: --no-deps --no-compile "$@" -r "$LOCK" >&2; }
WH="${CONSUMERS_WHEELHOUSE:-}"
if [ -z "$WH" ]; then
  pip_install
elif ! pip_install --no-index --find-links "$WH" 2>/dev/null; then   # nothing installed on failure
  log "downloading wheels into $WH"
  mkdir -p "$WH"
  "$VENV/bin/python" -m pip download -q --require-hashes --only-binary=:all: --no-deps -d "$WH" -r "$LOCK" >&2
  pip_install --no-index --find-links "$WH"
fi
# --no-deps: the lock is complete; `pip check` proves it.
# Byte-compile here, skipping the packages' own test suites (a third of the files): with
# PYTHONDONTWRITEBYTECODE=1, as on these machines, imports would otherwise never be cached
# (import datasets: ~4 s instead of ~1.5 s).
"$VENV/bin/python" -m compileall -q -x '/tests?/' "$VENV/lib" >/dev/null
"$VENV/bin/python" -m pip check >&2
HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 HF_HOME="$VENV/.hf-home" \
  "$VENV/bin/python" -c "${CONSUMERS_CHECK:-$default_check}" >&2
rm -rf "$VENV/.hf-home"
echo "$want" > "$VENV/.stamp"
log "ready: $VENV"
echo "$VENV/bin/python"
