// discover/discover.hpp — which files of the cloned repositories become training data, and the
// SHA-256 identifying each file version.
//
// A repository is a directory under repos_dir holding `.git` (found at any depth; directories
// whose name starts with '.' are never entered, so scrape's temporary clones are invisible). In a
// repository, a file is taken when all of these hold, checked in this order — the first that
// fails is the file's skip reason:
//   1. its path is valid UTF-8 that displays safely (no control,
//      bidirectional-override or line-separator characters)        (bad_name)
//   2. it is not a sensitive file: .env*, private keys, certificates,
//      keystores, credential stores                                  (sensitive)
//   3. its extension is allowed or its name is configured            (not_source)
//   4. config ignore_patterns do not match it (gitignore semantics)  (ignore_pattern)
//   5. the repository's .gitignore files and .git/info/exclude do not,
//      unless git tracks the file: as in git, ignore rules apply only
//      to untracked files                                           (gitignored)
//   6. .gitattributes do not mark it linguist-generated               (generated)
//      or linguist-vendored                                           (vendored)
//   7. it is a regular file; a symlink is never followed: one whose
//      target stays inside the repository is skipped because the
//      target is discovered at its own path                          (symlink)
//      one leading outside the repository                            (symlink_outside)
//      one whose target is missing or loops                          (symlink_broken)
//      a fifo, socket or device is never opened                      (unreadable)
//   8. it is at most max_file_bytes                                  (too_large)
//   9. it holds no NUL byte                                          (binary)
//  10. its content is valid UTF-8                                     (not_utf8)
//  11. it does not look minified or machine-generated: it is, when
//      its longest line has at least k_minified_longest_line bytes,
//      its lines average at least k_minified_average_line bytes and
//      less than k_minified_whitespace_percent of it is white space  (minified)
//  12. it can be read                                                 (unreadable)
// A symlink is judged as a file (as git stores it), whatever it points to. Directories that are
// ignored (4, 5) are not entered; they are reported once, as a skip of the directory (with a
// trailing '/') — except that a directory the .gitignore files exclude is entered for the tracked
// files beneath it (its other entries are skipped as gitignored). `.git` is never entered, and a
// repository nested inside another (a directory holding `.git`) is not part of it (nested_repo).
//
// Hashing reads each candidate once (NUL probe, UTF-8 check, line shape and SHA-256 together) on
// a pool of threads; memory holds the list of files, not their contents. The walk never follows a
// symlink out of the repository: each directory and file is opened with O_NOFOLLOW (files through
// sys/safe_read.hpp, never blocking on a fifo) and must be the same
// inode (device and inode number) the walk saw inside its parent, so a path swapped for a symlink
// while the walk runs is refused (`unreadable`). Rule files (.gitignore, .gitattributes) are
// capped at 1 MiB each and 8 MiB per repository; past that, directories are not entered.
// A directory that could not be listed completely is recorded in `unwalked`: change detection must
// not take its files for deleted.
//
// Ownership: plain values. Thread-safety: discover() is reentrant; `on_repo` is called from the
// calling thread. Errors: a repos_dir that cannot be read is an io error; anything wrong with one
// file or directory is a skip with its reason, never an error.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace g2d::discover {

enum class SkipReason {
  bad_name,
  sensitive,
  not_source,
  ignore_pattern,
  gitignored,
  generated,
  vendored,
  symlink,
  symlink_outside,
  symlink_broken,
  nested_repo,
  too_large,
  binary,
  not_utf8,
  minified,
  unreadable,
};
std::string_view to_string(SkipReason reason);
inline constexpr int k_skip_reason_count = 16;

// The minified test (rule 11): all three must hold.
inline constexpr std::uint64_t k_minified_longest_line = 1000;  // bytes
inline constexpr std::uint64_t k_minified_average_line = 200;   // bytes per line
inline constexpr std::uint64_t k_minified_whitespace_percent = 10;

struct SourceFile {
  std::string file_path;   // repo + "/" + path: the key in the store
  std::string repo;        // the repository's directory relative to repos_dir ("github.com/o/r")
  std::string path;        // relative to the repository root, '/'-separated
  std::string language;    // from the extension or name ("cpp", "python", "dockerfile", ...)
  std::uint64_t size = 0;  // the bytes hashed
  std::string sha256;      // lower-case hex of the content
};

struct SkippedFile {
  std::string file_path;  // as SourceFile::file_path; directories end with '/'
  SkipReason reason;
  std::string detail;  // e.g. the matching rule, the size, the link target
};

struct Repository {
  std::string repo;               // relative to repos_dir
  std::filesystem::path root;     // absolute
  std::vector<SourceFile> files;  // in path order
  std::vector<SkippedFile> skipped;
  // file_path prefixes ("repo/dir/", or "repo/" for the root) of directories that could not be
  // listed completely (I/O errors, the rule-file budget).
  std::vector<std::string> unwalked;
};

struct Options {
  std::vector<std::string> allowed_extensions;  // ".py" (compared case-insensitively)
  std::vector<std::string> include_file_names;  // "Dockerfile" (exact)
  std::vector<std::string> ignore_patterns;     // gitignore syntax, relative to each repo root
  std::uint64_t max_file_bytes = 1000000;
  int hash_threads = 0;  // 0 = the hardware's threads
};

// The repositories under repos_dir, relative, sorted. A missing repos_dir has none.
Result<std::vector<std::string>> find_repositories(const std::filesystem::path& repos_dir);

// Walks one repository and hashes its candidates. `tracked` holds the paths git tracks in it
// ('/'-separated, relative to its root, as `git ls-files -z` lists them), sorted; empty when
// unknown, and then every file the ignore rules match is skipped.
Repository discover_repository(const std::filesystem::path& repos_dir, const std::string& repo,
                               const Options& options,
                               const std::vector<std::string>& tracked = {});

// The language of a path, from its extension or name; "" when unknown.
std::string language_of(std::string_view path);

}  // namespace g2d::discover
