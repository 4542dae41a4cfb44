// git/repos_file.hpp — reading repos.txt: which repositories to scrape, and where each one lives
// under repos_dir. Hostile input by design: every line is checked before anything could run.
//
// A line is `SOURCE [REF] [name=NAME]`, with `#` starting a comment (at the start or after
// whitespace):
//   SOURCE  an https/http/ssh/git URL, an scp-like `user@host:path`, or a local path (relative
//           paths are taken from the folder of repos.txt);
//   REF     an optional branch, tag or commit to pin;
//   NAME    an optional name for the repository in the dataset (either order with REF).
// Refused, with the line number and the reason: anything starting with '-' (git would read an
// option), remote-helper transports (`ext::`, `fd::`, any `X::`), `file://` URLs (write the path),
// other schemes, malformed refs, control characters, a second ref or name or any other field, an
// empty name, and a repository whose directory equals an earlier line's (compared
// case-insensitively, as macOS filesystems do). Bad lines never stop the good ones. Credentials
// inside URLs are kept in `source` (git needs them) and never appear in `display`, `name` or in
// error texts.
//
// `name` is what a dataset publishes about the repository (samples' repo_url): NAME as written
// when the line gives one, else a remote's URL without its userinfo, else a local path's base name
// — never the local path itself (core/repository_name.hpp).
//
// Thread-safety: pure functions. Errors: read_repos_file returns not_found or io for the file (io
// also for a FIFO or a device, refused without waiting on it), invalid_argument for a file larger
// than k_max_repos_file_bytes.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace g2d::git {

enum class RepoKind { remote, local };

struct RepoRef {
  std::string source;  // what git is given: the URL, or an absolute local path
  RepoKind kind = RepoKind::remote;
  std::string ref;            // empty: the remote's default branch
  std::filesystem::path dir;  // relative, under repos_dir: host/owner/name or local/name-hash
  std::string display;        // `source` with credentials redacted, for logs and reports
  std::string name;           // published in the dataset (see above): "https://host/o/r.git",
                              // "corpus" (a local path's base name) or the line's name=NAME
  int line = 0;               // 1-based line in repos.txt
};

struct RepoLineError {
  int line = 0;
  std::string text;    // the line, credentials redacted
  std::string reason;  // what is wrong with it
};

struct ReposFile {
  std::vector<RepoRef> repos;
  std::vector<RepoLineError> errors;
};

// `base_dir` resolves relative local paths (the folder of repos.txt).
ReposFile parse_repos(std::string_view content, const std::filesystem::path& base_dir);

constexpr std::size_t k_max_repos_file_bytes = std::size_t{4} << 20;  // about 50,000 lines

Result<ReposFile> read_repos_file(const std::filesystem::path& path);

// `scheme://user:password@host/...` → `scheme://***@host/...`; other text unchanged.
std::string redact_url(std::string_view url);

}  // namespace g2d::git
