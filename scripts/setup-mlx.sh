#!/usr/bin/env bash
# setup-mlx.sh PREFIX — a real mlx_lm.server on a Linux CPU, for the mlx backend's integration
# tests (setup.sh --with-mlx calls it; scripts/test.sh asks for it). On a Mac, users install
# mlx-lm themselves (README "Backends"); this script is for Linux x86_64 with Python 3.11.
#
# Under PREFIX (idempotent: each step is skipped when its stamp matches its inputs):
#   venv/           mlx 0.32.4 + mlx-cpu 0.32.4 + mlx-lm 0.32.2 and their dependencies, installed
#                   from PyPI with every wheel's sha256 pinned (scripts/mlx/requirements.lock)
#   model/          the tiny model setup.sh fetched (SmolLM2-135M-Instruct GGUF) converted into an
#                   MLX model folder by scripts/mlx/gguf_to_mlx.py, dequantized to float32 (MLX's
#                   CPU backend then uses BLAS for prompts: ten times faster than its 4-bit kernels)
#   openblas/       Debian's OpenBLAS, extracted (not installed): the mlx-cpu wheel bundles the
#                   reference BLAS, which makes a 200-token prompt take 30 s instead of 3 s
#   bin/mlx_lm.server  a wrapper that runs the venv's mlx_lm.server offline (HF_HUB_OFFLINE, an
#                   empty HF_HUB_CACHE: without one its /v1/models answers with an empty body)
#                   with OpenBLAS preloaded; put bin/ first on PATH and git2dataset's managed mlx
#                   backend starts it like the real command.
#
# Needs: scripts/env.sh's G2D_MODEL (setup.sh fetches it first), python3.11 with venv, apt-get
# (for the OpenBLAS packages; without them the server still works, slowly). About a minute on an
# empty cache; a second run takes a second.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/env.sh
source "$here/env.sh"

log() { printf '[setup-mlx] %s\n' "$*" >&2; }
die() { printf '[setup-mlx] error: %s\n' "$*" >&2; exit 1; }
sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

(($# == 1)) || die "usage: $0 PREFIX"
mkdir -p "$1"
prefix="$(cd "$1" && pwd)"
lock="$here/mlx/requirements.lock"
converter="$here/mlx/gguf_to_mlx.py"
# Debian 12's packages, extracted only.
readonly OPENBLAS_DEBS=(libopenblas0-pthread libgfortran5)

python="${PYTHON:-python3}"
"$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' ||
  die "needs Python 3.11 (the lock pins cp311 wheels); $python is $("$python" -V 2>&1)"
[[ "$(uname -sm)" == "Linux x86_64" ]] || die "needs Linux x86_64 (on a Mac: pip install mlx-lm)"
[[ -f "$G2D_MODEL" ]] || die "no model at $G2D_MODEL: run scripts/setup.sh first"

install_venv() {
  local venv="$prefix/venv" want
  want="$(sha256_of "$lock")"
  if [[ "$(cat "$venv/.stamp" 2>/dev/null || true)" == "$want" ]]; then
    return
  fi
  log "installing mlx-lm into $venv (pinned wheels from PyPI, about a minute)"
  rm -rf "$venv"
  "$python" -m venv "$venv" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-input \
    --require-hashes --only-binary=:all: -r "$lock" || die "pip install -r $lock failed"
  "$venv/bin/python" -c 'import mlx.core as mx; assert (mx.array([1, 2]) + 1).tolist() == [2, 3]' ||
    die "mlx does not run here (see $venv)"
  printf '%s' "$want" >"$venv/.stamp"
}

convert_model() {
  local out="$prefix/model" want
  want="$(cat "$converter" "$lock" | sha256sum | cut -d' ' -f1)-$(basename "$G2D_MODEL")"
  if [[ "$(cat "$out/.stamp" 2>/dev/null || true)" == "$want" ]]; then
    return
  fi
  log "converting $(basename "$G2D_MODEL") into an MLX model folder (float32)"
  rm -rf "$out" "$out.partial"
  "$prefix/venv/bin/python" "$converter" "$G2D_MODEL" "$out.partial" float32 >&2
  printf '%s' "$want" >"$out.partial/.stamp"
  mv "$out.partial" "$out"
}

fetch_openblas() {
  local dir="$prefix/openblas"
  [[ -f "$dir/.stamp" ]] && return
  command -v apt-get >/dev/null || { log "no apt-get: mlx_lm.server will use its slow BLAS"; return; }
  log "fetching OpenBLAS (${OPENBLAS_DEBS[*]}) to extract beside mlx"
  local debs="$prefix/debs"
  rm -rf "$debs" "$dir.partial"
  mkdir -p "$debs" "$dir.partial"
  chmod 755 "$debs"  # apt's sandbox user writes there
  (cd "$debs" && apt-get download "${OPENBLAS_DEBS[@]}" >&2) ||
    { log "apt-get download failed: mlx_lm.server will use its slow BLAS"; return; }
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$dir.partial"; done
  touch "$dir.partial/.stamp"
  rm -rf "$dir" "$debs"
  mv "$dir.partial" "$dir"
}

write_wrapper() {
  local lib="$prefix/openblas/usr/lib/x86_64-linux-gnu"
  mkdir -p "$prefix/bin" "$prefix/hf-cache"
  cat >"$prefix/bin/mlx_lm.server.partial" <<EOF
#!/usr/bin/env bash
# mlx_lm.server from $prefix/venv, offline, with OpenBLAS when it was fetched (setup-mlx.sh).
set -euo pipefail
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1
export HF_HUB_CACHE="$prefix/hf-cache" HF_HOME="$prefix/hf-home"
if [[ -f "$lib/openblas-pthread/libopenblas.so.0" ]]; then
  export LD_PRELOAD="$lib/openblas-pthread/libopenblas.so.0\${LD_PRELOAD:+:\$LD_PRELOAD}"
  export LD_LIBRARY_PATH="$lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
  export OPENBLAS_NUM_THREADS="\${OPENBLAS_NUM_THREADS:-1}"
fi
exec "$prefix/venv/bin/mlx_lm.server" "\$@"
EOF
  chmod +x "$prefix/bin/mlx_lm.server.partial"
  mv "$prefix/bin/mlx_lm.server.partial" "$prefix/bin/mlx_lm.server"
}

install_venv
convert_model
fetch_openblas
write_wrapper
log "ready: $prefix/bin/mlx_lm.server, model $prefix/model"
