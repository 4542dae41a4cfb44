# env.sh — sourced by the scripts: where setup.sh caches what it fetches and builds.
# Override the root with GIT2DATASET_CACHE.
G2D_CACHE="${GIT2DATASET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/git2dataset}"
G2D_LLAMA_DIR="$G2D_CACHE/llama.cpp-de3ff815"
G2D_LLAMA_PREFIX="$G2D_LLAMA_DIR/prefix"
G2D_MODEL="$G2D_CACHE/models/SmolLM2-135M-Instruct.Q4_1.gguf"
# The code model for scripts/bench.sh quality (setup.sh --with-quality-model).
G2D_QUALITY_MODEL="$G2D_CACHE/models/qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
# The tree-sitter sources; the suffix is a hash of setup.sh's TREE_SITTER_PACKAGES (it checks it).
G2D_TREE_SITTER_DIR="$G2D_CACHE/tree-sitter-a17b4ee2"
# Ollama for the ollama backend's tests (setup.sh --with-ollama; scripts/build-ollama.sh).
G2D_OLLAMA="$G2D_CACHE/ollama-v0.17.4/bin/ollama"
# mlx_lm.server and its model for the mlx backend's tests (setup.sh --with-mlx; setup-mlx.sh).
G2D_MLX_DIR="$G2D_CACHE/mlx-lm-0.32.2"
# Hugging Face `datasets` for the export formats' consumer tests (setup.sh --with-datasets).
G2D_DATASETS_VENV="$G2D_CACHE/datasets-5.2.0"
# synthetic-data-kit, the peer tool of scripts/bench.sh peers (setup.sh --with-peers).
G2D_PEERS_VENV="$G2D_CACHE/synthetic-data-kit-0.0.5"
export G2D_CACHE G2D_PEERS_VENV G2D_MLX_DIR G2D_DATASETS_VENV G2D_LLAMA_DIR G2D_LLAMA_PREFIX G2D_MODEL G2D_QUALITY_MODEL G2D_TREE_SITTER_DIR G2D_OLLAMA

# A compiler cache for git2dataset's own builds (setup.sh installs ccache): a fresh clone's builds
# come from the cache of earlier ones instead of from scratch. Paths below the clone are hashed
# relative to it (base_dir), so clones in different folders share it. A launcher already set in
# the environment is kept; G2D_NO_CCACHE=1 builds without the cache.
if [[ -z "${G2D_NO_CCACHE:-}" && -z "${CMAKE_CXX_COMPILER_LAUNCHER:-}" ]] && command -v ccache >/dev/null; then
  export CMAKE_C_COMPILER_LAUNCHER=ccache CMAKE_CXX_COMPILER_LAUNCHER=ccache
  export CCACHE_DIR="${CCACHE_DIR:-$G2D_CACHE/ccache}"
  CCACHE_BASEDIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  export CCACHE_BASEDIR CCACHE_NOHASHDIR=true CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-8G}"
fi
