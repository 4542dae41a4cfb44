#include "sys/paths.hpp"

#include <cstdlib>

namespace g2d::sys {

namespace {
const char* non_empty_env(const char* name) {
  const char* v = std::getenv(name);
  return (v != nullptr && *v != '\0') ? v : nullptr;
}
}  // namespace

std::filesystem::path cache_dir() {
  if (const char* c = non_empty_env("GIT2DATASET_CACHE"))
    return c;
  if (const char* x = non_empty_env("XDG_CACHE_HOME"))
    return std::filesystem::path(x) / "git2dataset";
  if (const char* h = non_empty_env("HOME")) {
    return std::filesystem::path(h) / ".cache" / "git2dataset";
  }
  return std::filesystem::path(".cache") / "git2dataset";
}

std::filesystem::path default_model_path() {
  return cache_dir() / "models" / "SmolLM2-135M-Instruct.Q4_1.gguf";
}

}  // namespace g2d::sys
