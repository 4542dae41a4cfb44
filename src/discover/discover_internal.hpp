// discover/discover_internal.hpp — what the parts of discovery share (private to g2d_discover):
// the walk (discover.cpp) finds candidates by their identity, names.cpp judges their names, and
// hash.cpp reads each candidate once to decide its last skip reasons and its SHA-256.
//
// Ownership: plain values. Thread-safety: the functions are reentrant; hash_all runs its own pool
// of threads and returns when they are done. Errors: none are thrown or returned — a file that
// cannot be read is a HashOutcome with a skip reason.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <sys/stat.h>
#include <vector>

#include "discover/discover.hpp"
#include "sys/safe_read.hpp"

namespace g2d::discover::detail {

inline constexpr std::string_view k_bad_name =
    "the name is not valid UTF-8 or holds control, bidirectional or line-separator characters";

// Whether `text` ends with `suffix`, ASCII letters compared case-insensitively.
bool ends_with_ci(std::string_view text, std::string_view suffix);

// Files that hold secrets by their nature: never read, whatever the configured extensions say.
// `name` is the base name, `path` the path in the repository; the kind of secret, or nullopt.
std::optional<std::string_view> sensitive_kind(std::string_view name, std::string_view path);

// Which inode a path named when the walk saw it.
struct Identity {
  dev_t dev = 0;
  ino_t ino = 0;
  bool matches(const struct stat& st) const { return st.st_dev == dev && st.st_ino == ino; }
  bool matches(const sys::RegularFile& f) const {
    return f.device == static_cast<std::uint64_t>(dev) &&
           f.inode == static_cast<std::uint64_t>(ino);
  }
};

struct Candidate {
  std::string path;  // relative to the repository
  Identity id;
};

struct HashOutcome {
  std::string sha256;
  std::uint64_t size = 0;
  std::optional<SkipReason> skip;
  std::string detail;
};

// Hashes every candidate (paths relative to `root`) on a pool of options.hash_threads threads;
// `results[i]` is the outcome of `candidates[i]`. A candidate no worker could reach (out of
// memory) is skipped as unreadable.
void hash_all(const std::filesystem::path& root, const std::vector<Candidate>& candidates,
              const Options& options, std::vector<HashOutcome>& results);

}  // namespace g2d::discover::detail
