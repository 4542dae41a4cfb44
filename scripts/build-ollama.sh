#!/usr/bin/env bash
# build-ollama.sh PREFIX — builds the pinned Ollama (CPU only) from the Go module proxy and installs
# PREFIX/bin/ollama, for the ollama backend's integration tests. setup.sh --with-ollama calls it;
# it does nothing when the binary is already there. About 9 minutes on 2 cores from empty Go
# caches (513 MB of modules, 556 MB of build cache), 0 s afterwards.
#
# `go install github.com/ollama/ollama@vX` alone fails (mtmd-helper.cpp: miniaudio/miniaudio.h: No
# such file or directory): Go module zips leave out every directory named vendor/, so Ollama's
# llama/llama.cpp/vendor/{miniaudio,stb,nlohmann} never arrive. The headers come from registries
# reachable here, checked by sha256, and cgo finds them through CGO_CPPFLAGS:
#   miniaudio/miniaudio.h  the Go module github.com/gen2brain/malgo (it ships miniaudio 0.11.23)
#   stb/stb_image.h        Debian 12's libstb-dev (stb_image 2.27)
#   nlohmann/json.hpp      Debian 12's nlohmann-json3-dev (/usr/include)
# Both Debian packages are in setup.sh's package list. The module source itself is not changed.
set -euo pipefail

PREFIX=${1:?usage: $0 PREFIX   (installs PREFIX/bin/ollama)}
mkdir -p "$PREFIX"
PREFIX=$(cd "$PREFIX" && pwd)

OLLAMA_VERSION=${OLLAMA_VERSION:-v0.17.4}
MALGO_VERSION=v0.11.24
NICE=${NICE:-10}
GO=${GO:-go}

# Recorded checksums (sha256) -------------------------------------------------
OLLAMA_ZIP_SHA256_v0_17_4=3e202b022376b7631db946d10e6636516a7a58791aeef261e00d6a067e9fa312
MALGO_ZIP_SHA256=cb45982c59618acd9325ab0c90e31a6af228fbc61f8c92e071644a3a53fa6de8
MINIAUDIO_H_SHA256=7e4f3f13c8fe66df2080ac3dd12a89193e3c2463cb7f067c798abd7331cd8ee6
# libstb-dev 0.0~git20220908.8b5f1f3+ds-1 (Debian 12 bookworm), stb_image v2.27
STB_IMAGE_H_SHA256=91f435e0fc6a620018b878b9859c74dff60d28046f87e649191ad6f35a98c722

BIN="$PREFIX/bin/ollama"
INC="$PREFIX/include"

log() { printf '[build-ollama %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

check_sha() { # file expected
    local got
    got=$(sha256sum "$1" | cut -d' ' -f1)
    [ "$got" = "$2" ] || die "sha256 mismatch for $1: got $got, want $2"
}

if [ -x "$BIN" ] && "$BIN" --help >/dev/null 2>&1; then
    log "$BIN already exists; nothing to do (delete it to rebuild)"
    exit 0
fi

# 1. The toolchain and the Debian headers (setup.sh installs the packages) ----------------------
command -v "$GO" >/dev/null || die "go not found (Debian 12 images here ship Go in /usr/local/go)"
[ -f /usr/include/stb/stb_image.h ] || die "/usr/include/stb/stb_image.h missing: apt-get install libstb-dev"
[ -f /usr/include/nlohmann/json.hpp ] || die "/usr/include/nlohmann/json.hpp missing: apt-get install nlohmann-json3-dev"

# 2. Headers that the module zip lacks ------------------------------------------
mkdir -p "$INC/miniaudio" "$INC/stb"

if ! { [ -f "$INC/miniaudio/miniaudio.h" ] && [ "$(sha256sum "$INC/miniaudio/miniaudio.h" | cut -d' ' -f1)" = "$MINIAUDIO_H_SHA256" ]; }; then
    log "go mod download github.com/gen2brain/malgo@$MALGO_VERSION (for miniaudio.h)"
    json=$(cd / && GOFLAGS=-mod=mod "$GO" mod download -json "github.com/gen2brain/malgo@$MALGO_VERSION")
    zip=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Zip": "\(.*\)",\{0,1\}$/\1/p')
    dir=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
    [ -n "$dir" ] && [ -f "$dir/miniaudio.h" ] || die "malgo download failed: $json"
    check_sha "$zip" "$MALGO_ZIP_SHA256"
    check_sha "$dir/miniaudio.h" "$MINIAUDIO_H_SHA256"
    install -m 0644 "$dir/miniaudio.h" "$INC/miniaudio/miniaudio.h"
fi

check_sha /usr/include/stb/stb_image.h "$STB_IMAGE_H_SHA256"
install -m 0644 /usr/include/stb/stb_image.h "$INC/stb/stb_image.h"

# 3. The ollama module itself ---------------------------------------------------
log "go mod download github.com/ollama/ollama@$OLLAMA_VERSION"
json=$(cd / && GOFLAGS=-mod=mod "$GO" mod download -json "github.com/ollama/ollama@$OLLAMA_VERSION")
zip=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Zip": "\(.*\)",\{0,1\}$/\1/p')
[ -n "$zip" ] && [ -f "$zip" ] || die "ollama download failed: $json"
pin_var="OLLAMA_ZIP_SHA256_$(printf '%s' "$OLLAMA_VERSION" | tr '.' '_')"
if [ -n "${!pin_var:-}" ]; then
    check_sha "$zip" "${!pin_var}"
else
    log "WARNING: no recorded sha256 for ollama $OLLAMA_VERSION; relying on go.sum/sumdb only ($(sha256sum "$zip" | cut -d' ' -f1))"
fi

# 4. Build (CPU backend via cgo; ~2 cores: slow) ---------------------------------
mkdir -p "$PREFIX/bin"
tmpbin=$(mktemp -d "$PREFIX/bin/.build.XXXXXX")
trap 'rm -rf "$tmpbin"' EXIT
log "go install github.com/ollama/ollama@$OLLAMA_VERSION (this takes a while)"
start=$(date +%s)
(
    cd /
    export CGO_ENABLED=1
    export CGO_CPPFLAGS="-I$INC ${CGO_CPPFLAGS:-}"
    export GOBIN="$tmpbin"
    export GOFLAGS=-mod=mod
    nice -n "$NICE" "$GO" install \
        -ldflags="-s -w -X=github.com/ollama/ollama/version.Version=${OLLAMA_VERSION#v}" \
        "github.com/ollama/ollama@$OLLAMA_VERSION"
)
log "build took $(( $(date +%s) - start ))s"
mv -f "$tmpbin/ollama" "$BIN"
"$BIN" --help >/dev/null
log "installed $BIN"
