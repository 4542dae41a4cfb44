// The walk of one repository: directories opened one at a time with O_NOFOLLOW and checked to be
// the inode seen in their parent, their rule files loaded into the ignore and attribute stacks,
// every entry judged in the order discover.hpp lists (names.cpp for the name, ignore.hpp for the
// rules), and the surviving regular files handed to hash.cpp. Also finding the repositories under
// repos_dir. Thread-safety: reentrant; a Walker belongs to one call. Errors: only an unreadable
// repos_dir is one; everything wrong inside a repository becomes a skip or an unwalked directory.
#include "discover/discover.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

#include <climits>
#include <spdlog/spdlog.h>

#include "core/text.hpp"
#include "discover/discover_internal.hpp"
#include "discover/ignore.hpp"
#include "sys/fd.hpp"
#include "sys/safe_read.hpp"

namespace g2d::discover {

namespace fs = std::filesystem;
using detail::Candidate;
using detail::ends_with_ci;
using detail::hash_all;
using detail::HashOutcome;
using detail::Identity;
using detail::k_bad_name;
using detail::sensitive_kind;

namespace {

constexpr size_t k_max_rule_file_bytes = 1 << 20;
constexpr std::uint64_t k_max_rule_bytes_per_repo = 8 << 20;

// ---------------------------------------------------------------------------------------------
// Reading

// A small rule file (.gitignore, .gitattributes) in the directory `dir_fd`; "" when there is
// none, it is not a regular file (git does not follow symlinked rule files), or it is huge.
std::string read_rule_file(int dir_fd, const char* name) {
  auto file = sys::open_regular_file(dir_fd, name);
  if (!file || file->size > k_max_rule_file_bytes)
    return {};
  auto text = sys::read_bounded(*file, k_max_rule_file_bytes, name);
  return text ? std::move(*text) : std::string();
}

// ---------------------------------------------------------------------------------------------
// The walk

struct PendingDir {
  std::string rel;  // "" = the root
  Identity id;
  bool ignored = false;  // the .gitignore files exclude it: entered only for its tracked files
};

class Walker {
 public:
  Walker(fs::path root, std::string repo, const Options& options,
         const std::vector<std::string>& tracked)
      : m_root(std::move(root)),
        m_repo(std::move(repo)),
        m_options(options),
        m_tracked(tracked),
        m_config_ignore(options.ignore_patterns, "") {
    char* real = realpath(m_root.c_str(), nullptr);
    if (real != nullptr) {
      m_real_root = real;
      std::free(real);  // NOLINT(cppcoreguidelines-no-malloc): realpath's contract
    }
  }

  void walk(Repository& out) {
    struct stat st {};
    if (lstat(m_root.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
      out.unwalked.push_back(m_repo + "/");
      skip(out, "", true, SkipReason::unreadable,
           std::string("the repository's directory cannot be read: ") + std::strerror(errno));
      return;
    }
    std::vector<PendingDir> pending{{"", {st.st_dev, st.st_ino}}};
    while (!pending.empty()) {
      PendingDir dir = std::move(pending.back());
      pending.pop_back();
      walk_dir(dir, out, pending);
    }
  }

  std::vector<Candidate>& candidates() { return m_candidates; }

 private:
  void skip(Repository& out, const std::string& rel, bool is_dir, SkipReason reason,
            std::string detail) {
    std::string key = m_repo + "/" + rel;
    if (is_dir && !rel.empty())
      key += '/';
    out.skipped.push_back({std::move(key), reason, std::move(detail)});
  }

  void unwalked(Repository& out, const std::string& rel, SkipReason reason, std::string detail) {
    out.unwalked.push_back(rel.empty() ? m_repo + "/" : m_repo + "/" + rel + "/");
    skip(out, rel, true, reason, std::move(detail));
  }

  // Reads the directory's rule files into the stacks; false when the repository's budget is spent.
  bool load_rules(int dfd, const std::string& dir) {
    std::string ignore_text = read_rule_file(dfd, ".gitignore");
    std::string attr_text = read_rule_file(dfd, ".gitattributes");
    std::string exclude;
    if (dir.empty()) {
      sys::Fd info = sys::open_directory_nofollow(AT_FDCWD, (m_root / ".git/info").c_str());
      if (info.valid())
        exclude = read_rule_file(info.get(), "exclude");
    }
    m_rule_bytes += ignore_text.size() + attr_text.size() + exclude.size();
    if (m_rule_bytes > k_max_rule_bytes_per_repo)
      return false;
    // info/exclude has the lowest precedence: added first, the root .gitignore after it wins.
    if (!exclude.empty())
      m_ignore.add(dir, exclude);
    if (!ignore_text.empty())
      m_ignore.add(dir, ignore_text);
    if (!attr_text.empty())
      m_attrs.add(dir, attr_text);
    return true;
  }

  void walk_dir(const PendingDir& dir, Repository& out, std::vector<PendingDir>& pending) {
    const std::string& rel_dir = dir.rel;
    fs::path full = rel_dir.empty() ? m_root : m_root / rel_dir;
    sys::Fd opened = sys::open_directory_nofollow(AT_FDCWD, full.c_str());
    if (!opened.valid()) {
      unwalked(out, rel_dir, SkipReason::unreadable, std::strerror(errno));
      return;
    }
    struct stat self {};
    if (fstat(opened.get(), &self) != 0 || !dir.id.matches(self)) {
      unwalked(out, rel_dir, SkipReason::unreadable,
               "the directory changed while the repository was walked");
      return;
    }
    DIR* d = fdopendir(opened.get());
    if (d == nullptr) {
      unwalked(out, rel_dir, SkipReason::unreadable, std::strerror(errno));
      return;
    }
    opened.release();  // the DIR owns it now
    std::unique_ptr<DIR, int (*)(DIR*)> guard(d, closedir);
    int dfd = dirfd(d);
    if (!load_rules(dfd, rel_dir)) {
      unwalked(out, rel_dir, SkipReason::unreadable,
               "the repository's .gitignore and .gitattributes files exceed 8 MiB together");
      return;
    }

    struct Entry {
      std::string name;
      unsigned char type;
    };
    std::vector<Entry> entries;
    for (;;) {
      errno = 0;
      dirent* e = readdir(d);
      if (e == nullptr) {
        if (errno != 0)
          unwalked(out, rel_dir, SkipReason::unreadable,
                   std::string("listing stopped early: ") + std::strerror(errno));
        break;
      }
      std::string_view name = e->d_name;
      if (name == "." || name == "..")
        continue;
      entries.push_back({std::string(name), e->d_type});
    }
    // Name order, so that the walk (and so its output) is the same on every run.
    std::sort(entries.begin(), entries.end(),
              [](const Entry& a, const Entry& b) { return a.name < b.name; });

    std::vector<PendingDir> subdirs;
    for (auto& e : entries) {
      if (e.name == ".git")
        continue;
      std::string rel = rel_dir.empty() ? e.name : rel_dir + "/" + e.name;
      struct stat st {};
      if (fstatat(dfd, e.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        skip(out, rel, false, SkipReason::unreadable, std::strerror(errno));
        continue;
      }
      if (S_ISDIR(st.st_mode)) {
        if (auto ignored = visit_dir(dfd, e.name, rel, dir.ignored, out))
          subdirs.push_back({std::move(rel), {st.st_dev, st.st_ino}, *ignored});
      } else {
        visit_file(e.name, rel, st, dir.ignored, out);
      }
    }
    // Depth-first in name order: push in reverse so the first name is walked first.
    for (auto it = subdirs.rbegin(); it != subdirs.rend(); ++it)
      pending.push_back(std::move(*it));
  }

  // Whether to enter the directory (nullopt: not) and whether the .gitignore files exclude it
  // (or a directory above it).
  std::optional<bool> visit_dir(int dfd, const std::string& name, const std::string& rel,
                                bool parent_ignored, Repository& out) {
    if (!displays_safely(name)) {
      skip(out, rel, true, SkipReason::bad_name, std::string(k_bad_name));
      return std::nullopt;
    }
    if (m_config_ignore.match(rel, true) == IgnoreMatch::ignored) {
      skip(out, rel, true, SkipReason::ignore_pattern, "pipeline.ignore_patterns");
      return std::nullopt;
    }
    bool ignored = parent_ignored || m_ignore.match(rel, true) == IgnoreMatch::ignored;
    if (ignored && !holds_tracked(rel)) {
      skip(out, rel, true, SkipReason::gitignored,
           parent_ignored ? "in a directory .gitignore excludes" : ".gitignore");
      return std::nullopt;
    }
    struct stat st {};
    if (fstatat(dfd, (name + "/.git").c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      skip(out, rel, true, SkipReason::nested_repo, "holds its own .git");
      return std::nullopt;
    }
    return ignored;
  }

  // git applies ignore rules to untracked files only.
  bool is_tracked(const std::string& rel) const {
    return std::binary_search(m_tracked.begin(), m_tracked.end(), rel);
  }

  bool holds_tracked(const std::string& dir) const {
    std::string prefix = dir + "/";
    auto it = std::lower_bound(m_tracked.begin(), m_tracked.end(), prefix);
    return it != m_tracked.end() && it->starts_with(prefix);
  }

  void visit_file(const std::string& name, const std::string& rel, const struct stat& st,
                  bool in_ignored_dir, Repository& out) {
    if (!displays_safely(name)) {
      skip(out, rel, false, SkipReason::bad_name, std::string(k_bad_name));
      return;
    }
    if (auto kind = sensitive_kind(name, rel)) {
      skip(out, rel, false, SkipReason::sensitive, std::string(*kind));
      return;
    }
    if (!is_source(name)) {
      skip(out, rel, false, SkipReason::not_source,
           "not in pipeline.allowed_extensions or include_file_names");
      return;
    }
    if (m_config_ignore.match(rel, false) == IgnoreMatch::ignored) {
      skip(out, rel, false, SkipReason::ignore_pattern, "pipeline.ignore_patterns");
      return;
    }
    if (!is_tracked(rel)) {
      if (in_ignored_dir) {
        skip(out, rel, false, SkipReason::gitignored, "in a directory .gitignore excludes");
        return;
      }
      if (m_ignore.match(rel, false) == IgnoreMatch::ignored) {
        skip(out, rel, false, SkipReason::gitignored, ".gitignore");
        return;
      }
    }
    LinguistAttrs attrs = m_attrs.linguist(rel);
    if (attrs.generated == AttrState::set) {
      skip(out, rel, false, SkipReason::generated, ".gitattributes linguist-generated");
      return;
    }
    if (attrs.vendored == AttrState::set) {
      skip(out, rel, false, SkipReason::vendored, ".gitattributes linguist-vendored");
      return;
    }
    if (S_ISLNK(st.st_mode)) {
      classify_link(rel, out);
      return;
    }
    if (!S_ISREG(st.st_mode)) {
      skip(out, rel, false, SkipReason::unreadable, "not a regular file (fifo, socket or device)");
      return;
    }
    auto size = static_cast<std::uint64_t>(st.st_size);
    if (size > m_options.max_file_bytes) {
      skip(out, rel, false, SkipReason::too_large,
           std::to_string(size) + " bytes > max_file_bytes " +
               std::to_string(m_options.max_file_bytes));
      return;
    }
    m_candidates.push_back({rel, {st.st_dev, st.st_ino}});
  }

  bool is_source(std::string_view name) const {
    for (const auto& n : m_options.include_file_names)
      if (name == n)
        return true;
    for (const auto& ext : m_options.allowed_extensions)
      if (name.size() > ext.size() && ends_with_ci(name, ext))
        return true;
    return false;
  }

  // A symlink is never followed for reading; where it leads only decides the reason.
  void classify_link(const std::string& rel, Repository& out) {
    fs::path full = m_root / rel;
    char* real = realpath(full.c_str(), nullptr);
    if (real == nullptr) {
      int err = errno;
      skip(out, rel, false, SkipReason::symlink_broken,
           err == ELOOP ? "the link loops" : "the target does not exist");
      return;
    }
    std::string target = real;
    std::free(real);  // NOLINT(cppcoreguidelines-no-malloc): realpath's contract
    bool inside =
        !m_real_root.empty() && (target == m_real_root || target.starts_with(m_real_root + "/"));
    if (inside) {
      skip(out, rel, false, SkipReason::symlink,
           "links to " + target.substr(std::min(target.size(), m_real_root.size() + 1)) +
               " (read at its own path)");
    } else {
      skip(out, rel, false, SkipReason::symlink_outside, "links outside the repository");
    }
  }

  fs::path m_root;
  std::string m_real_root;
  std::string m_repo;
  const Options& m_options;
  const std::vector<std::string>& m_tracked;  // sorted
  IgnoreList m_config_ignore;
  IgnoreStack m_ignore;
  AttributeStack m_attrs;
  std::uint64_t m_rule_bytes = 0;
  std::vector<Candidate> m_candidates;
};

}  // namespace

Result<std::vector<std::string>> find_repositories(const fs::path& repos_dir) {
  std::vector<std::string> found;
  std::error_code ec;
  auto status = fs::symlink_status(repos_dir, ec);
  if (ec || !fs::exists(status)) {
    if (ec && ec != std::errc::no_such_file_or_directory)
      return fail(ErrorKind::io, "cannot read {}: {}", repos_dir.string(), ec.message());
    return found;
  }
  if (!fs::is_directory(repos_dir, ec))
    return fail(ErrorKind::io, "{} is not a directory", repos_dir.string());
  std::string base = repos_dir.string();
  std::vector<fs::path> pending{repos_dir};
  while (!pending.empty()) {
    fs::path dir = std::move(pending.back());
    pending.pop_back();
    fs::directory_iterator it(dir, ec);
    if (ec) {
      if (dir == repos_dir)
        return fail(ErrorKind::io, "cannot read {}: {}", repos_dir.string(), ec.message());
      spdlog::warn("cannot read {}: {}", dir.string(), ec.message());
      continue;
    }
    for (; it != fs::directory_iterator(); it.increment(ec)) {
      const auto& entry = *it;
      std::string name = entry.path().filename().string();
      std::error_code type_ec;
      if (name.starts_with(".") || entry.is_symlink(type_ec) || !entry.is_directory(type_ec))
        continue;
      std::error_code git_ec;
      if (fs::exists(entry.path() / ".git", git_ec)) {
        std::string full = entry.path().string();
        found.push_back(full.substr(base.size() + (base.ends_with('/') ? 0 : 1)));
      } else {
        pending.push_back(entry.path());
      }
    }
    if (ec) {
      spdlog::warn("cannot list {} completely: {}", dir.string(), ec.message());
      ec.clear();
    }
  }
  std::sort(found.begin(), found.end());
  return found;
}

Repository discover_repository(const fs::path& repos_dir, const std::string& repo,
                               const Options& options, const std::vector<std::string>& tracked) {
  Repository out;
  out.repo = repo;
  out.root = fs::absolute(repos_dir / repo);
  Walker walker(out.root, repo, options, tracked);
  walker.walk(out);

  auto& candidates = walker.candidates();
  std::sort(candidates.begin(), candidates.end(),
            [](const Candidate& a, const Candidate& b) { return a.path < b.path; });
  std::vector<HashOutcome> hashed;
  hash_all(out.root, candidates, options, hashed);
  out.files.reserve(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) {
    auto& c = candidates[i];
    auto& h = hashed[i];
    if (h.skip) {
      out.skipped.push_back({repo + "/" + c.path, *h.skip, std::move(h.detail)});
      continue;
    }
    std::string language = language_of(c.path);
    out.files.push_back({repo + "/" + c.path, repo, std::move(c.path), std::move(language), h.size,
                         std::move(h.sha256)});
  }
  std::sort(out.skipped.begin(), out.skipped.end(),
            [](const SkippedFile& a, const SkippedFile& b) { return a.file_path < b.file_path; });
  std::sort(out.unwalked.begin(), out.unwalked.end());
  return out;
}

}  // namespace g2d::discover
