// core/repository_name.hpp — what a dataset may publish about where a sample comes from: a
// repository's name without the user names, credentials or local paths that its address on this
// machine may hold. Shared by git/ (the names of repos.txt's lines), pipeline/ (what a sample
// stores) and dataset/ (what an export shows, also for samples an earlier version stored).
//
// The layout of repos_dir these functions know: a remote lives in "host/owner/name", a local path
// in "_local/<base name>-<8 hex digits of the path's hash>" (git/repos_file.hpp).
//
// Thread-safety: pure functions. Errors: none.
#pragma once

#include <string>
#include <string_view>

namespace g2d {

// A repository address without its userinfo: `scheme://user:token@host/p` → `scheme://host/p`
// (also a userinfo already redacted to `***@`), scp-like `user@host:path` → `host:path`; anything
// else unchanged.
std::string strip_userinfo(std::string_view address);

// The base name of a local path ("/home/me/corpus/" → "corpus"); "_" when it has none ("/").
std::string local_path_name(std::string_view path);

// The name of a repository folder under repos_dir that repos.txt does not name: a local path's
// "_local/<name>-<hash>" gives "<name>" (what its line gives without name=); any other folder is
// its own name ("github.com/o/r").
std::string name_of_folder(std::string_view folder);

// What a sample's stored repo_url publishes, given the repository folder it was found in: the
// value as stored, except the forms earlier versions stored — a local path (its base name), the
// folder itself (name_of_folder), an address with userinfo (without it). Unchanged for every
// value this version stores, so applying it twice changes nothing.
std::string published_repository(std::string_view stored, std::string_view folder);

}  // namespace g2d
