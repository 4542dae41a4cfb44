// sys/paths.hpp — where git2dataset's machine-wide cache lives, and the default model in it.
//
// The cache root is $GIT2DATASET_CACHE, else $XDG_CACHE_HOME/git2dataset, else
// ~/.cache/git2dataset — the same rule as scripts/env.sh, which fills it.
// Thread-safety: reads the environment only; reentrant.
#pragma once

#include <filesystem>

namespace g2d::sys {

std::filesystem::path cache_dir();

// The small model scripts/setup.sh fetched; used when llm.model is empty. May not exist.
std::filesystem::path default_model_path();

}  // namespace g2d::sys
