// pipeline/repo_identifiers.hpp — the identifiers of every source file of a repository, so that
// an answer naming a function another file of its repository defines counts as grounded
// (quality::grounding's `known_elsewhere`).
//
// A repository's set is built on first use, from the files discovery took in it (the plan's
// files, unchanged ones included), read from disk in path order up to `max_bytes` in all (a huge
// monorepo is indexed in part rather than held in memory whole) through sys/safe_read.hpp (no
// symlink or fifo, never more than discovery's size of the file); later calls share it. Only the
// repositories a run asks about are read. The text is never written anywhere: membership only.
//
// Ownership: keeps pointers into `plan`, which must outlive it; sets are shared with callers.
// Thread-safety: of() may be called from several threads at once; each repository is built once.
// Errors: none; a file that cannot be read is left out of the set.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "pipeline/plan.hpp"

namespace g2d::pipeline {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using IdentifierSet = std::unordered_set<std::string, StringHash, std::equal_to<>>;

class RepoIdentifiers {
 public:
  static constexpr std::size_t k_default_max_bytes = std::size_t{64} << 20;

  RepoIdentifiers(std::filesystem::path repos_dir, const Plan& plan,
                  std::size_t max_bytes = k_default_max_bytes);

  // The identifiers of `repo`'s files (empty for a repository the plan does not hold).
  std::shared_ptr<const IdentifierSet> of(const std::string& repo);

 private:
  struct Entry {
    std::vector<const discover::SourceFile*> files;
    std::once_flag built;
    std::shared_ptr<const IdentifierSet> identifiers;
  };

  std::shared_ptr<const IdentifierSet> build(const Entry& entry) const;

  std::filesystem::path m_repos_dir;
  std::size_t m_max_bytes;
  std::map<std::string, Entry> m_repos;  // filled by the constructor only
};

}  // namespace g2d::pipeline
