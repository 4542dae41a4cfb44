// A new clone: refused unless its directory is a plain relative path whose folders (created when
// missing, opened one at a time without following links) hold no other repository; built in
// repos_dir/.partial/<pid>-<n> (a full clone at a branch or tag, or an empty repository fetching
// one commit), marked as git2dataset's, and renamed into place without replacing anything.
// Thread-safety: reentrant; each clone has its own temporary directory. Errors: the outcome says
// failed or cancelled with its reason; the temporary directory is removed on every failure.
#include <cerrno>
#include <cstdio>  // renameatx_np (macOS)
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#if defined(__linux__)
#include <linux/fs.h>  // RENAME_NOREPLACE
#include <sys/syscall.h>
#endif

#include <algorithm>
#include <cctype>

#include "git/scrape_internal.hpp"
#include "sys/safe_read.hpp"

namespace g2d::git::detail {

namespace fs = std::filesystem;
using sys::Fd;

namespace {

std::atomic<uint64_t> g_partial_counter{0};

// A ref that is probably an abbreviated commit id, which only a full id can pin.
bool looks_like_short_sha(std::string_view ref) {
  return ref.size() >= 7 && ref.size() < 40 &&
         std::all_of(ref.begin(), ref.end(), [](unsigned char c) { return std::isxdigit(c); });
}

}  // namespace

// --- the filesystem, without following links ---------------------------------------------------

std::optional<std::string> dir_problem(const fs::path& dir) {
  if (dir.empty() || dir.is_absolute())
    return fmt::format("the clone directory '{}' is not a relative path", dir.string());
  for (const auto& part : dir) {
    std::string name = part.string();
    if (name.empty() || name.front() == '.') {
      return fmt::format("the clone directory {} has a component starting with '.' ('{}')",
                         dir.string(), name);
    }
  }
  return std::nullopt;
}

tl::expected<Fd, std::string> open_parent(const Context& ctx, const fs::path& dir, bool create) {
  const fs::path target = ctx.repos_dir / dir;
  Fd at(open(ctx.repos_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (at.get() < 0)
    return tl::unexpected(
        fmt::format("cannot open {}: {}", ctx.repos_dir.string(), std::strerror(errno)));
  fs::path path = ctx.repos_dir;
  for (const auto& part : dir.parent_path()) {
    const std::string name = part.string();
    path /= part;
    Fd next = sys::open_directory_nofollow(at.get(), name.c_str());
    if (next.get() < 0 && errno == ENOENT && create) {
      if (mkdirat(at.get(), name.c_str(), 0777) != 0 && errno != EEXIST)
        return tl::unexpected(
            fmt::format("cannot create {}: {}", path.string(), std::strerror(errno)));
      next = sys::open_directory_nofollow(at.get(), name.c_str());
    }
    if (next.get() < 0) {
      const int err = errno;
      struct stat st {};
      bool exists = fstatat(at.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
      if (exists && S_ISLNK(st.st_mode)) {
        return tl::unexpected(fmt::format(
            "{} is a symbolic link; refusing to clone or update through it (a clone's parent "
            "folders must be real directories under {})",
            path.string(), ctx.repos_dir.string()));
      }
      if (exists && !S_ISDIR(st.st_mode))
        return tl::unexpected(fmt::format("{} is not a directory", path.string()));
      if (err == ENOENT && !create)
        return Fd();
      return tl::unexpected(fmt::format("cannot open {}: {}", path.string(), std::strerror(err)));
    }
    struct stat st {};
    if (fstatat(next.get(), ".git", &st, AT_SYMLINK_NOFOLLOW) == 0) {
      return tl::unexpected(fmt::format(
          "{} would be inside the git repository {}; a clone is never put inside another one",
          target.string(), path.string()));
    }
    at = std::move(next);
  }
  return at;
}

namespace {

// rename(2) that fails with EEXIST rather than replace an existing (empty) directory.
int rename_noreplace(const char* from, int to_dir, const char* to) {
#if defined(__linux__)
  if (syscall(SYS_renameat2, AT_FDCWD, from, to_dir, to, RENAME_NOREPLACE) == 0)
    return 0;
  if (errno != ENOSYS && errno != EINVAL)
    return -1;  // ENOSYS: a kernel before 3.15; EINVAL: a filesystem without the flag
#elif defined(__APPLE__)
  return renameatx_np(AT_FDCWD, from, to_dir, to, RENAME_EXCL);
#endif
  // Best effort: a directory appearing between this check and the rename is replaced if empty.
  struct stat st {};
  if (fstatat(to_dir, to, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    errno = EEXIST;
    return -1;
  }
  return renameat(AT_FDCWD, from, to_dir, to);
}

// --- clone -------------------------------------------------------------------------------------

// A commit id: an empty repository, then a fetch of just that commit (to `depth`) — servers
// that refuse unadvertised commits get a full fetch instead.
Step fetch_commit_into(const RepoRef& repo, const fs::path& dir, const Context& ctx) {
  if (auto s = git_step(ctx, repo, "init",
                        call_in({}, {"init", "--quiet", "--", dir.string()}, ctx.stop));
      !s) {
    return s;
  }
  if (auto s = git_step(
          ctx, repo, "remote add",
          call_in(dir, {"remote", "add", "--", "origin", detail::without_credentials(repo.source)},
                  ctx.stop));
      !s) {
    return s;
  }
  std::vector<std::string> fetch{"fetch", "--progress", "--no-tags"};
  if (ctx.depth > 0)
    fetch.push_back(fmt::format("--depth={}", ctx.depth));
  fetch.insert(fetch.end(), {"--", repo.source, repo.ref});
  auto fetched = git_step(ctx, repo, "fetch", transfer_in(ctx, dir, fetch));
  if (!fetched) {
    if (fetched.error().kind == OutcomeKind::cancelled)
      return fetched;
    if (auto all = fetch_everything(ctx, repo, dir); !all)
      return all;
  }
  return git_step(ctx, repo, "checkout",
                  call_in(dir, {"checkout", "--quiet", "--detach", repo.ref, "--"}, ctx.stop));
}

Step clone_into(const RepoRef& repo, const fs::path& dir, const Context& ctx) {
  if (is_commit_id(repo.ref))
    return fetch_commit_into(repo, dir, ctx);
  std::vector<std::string> args{"clone", "--progress"};
  if (repo.kind == RepoKind::local)
    args.emplace_back("--no-local");  // the transport, so --depth applies; no hard links
  if (ctx.depth > 0)
    args.push_back(fmt::format("--depth={}", ctx.depth));
  if (!repo.ref.empty())
    args.insert(args.end(), {"--branch", repo.ref});
  args.insert(args.end(), {"--", repo.source, dir.string()});
  return git_step(ctx, repo, "clone", transfer_in(ctx, {}, args));
}

// After a clone: origin without credentials (updates fetch from the line's URL, so credentials
// come from repos.txt each run and never rest in .git/config), and the mark of a managed clone.
Step make_ours(const RepoRef& repo, const fs::path& dir, const Context& ctx) {
  const std::string stored = detail::without_credentials(repo.source);
  if (stored != repo.source) {
    if (auto s = git_step(ctx, repo, "remote set-url",
                          call_in(dir, {"remote", "set-url", "--", "origin", stored}));
        !s) {
      return s;
    }
  }
  return git_step(ctx, repo, "config", call_in(dir, {"config", k_managed_key, "true"}));
}

// repos_dir/.partial, which must be a real directory: its contents are removed by later runs.
std::optional<std::string> partial_root_problem(const fs::path& root) {
  std::error_code ec;
  fs::create_directory(root, ec);
  auto status = fs::symlink_status(root, ec);
  if (ec)
    return fmt::format("cannot create {}: {}", root.string(), ec.message());
  if (status.type() != fs::file_type::directory)
    return fmt::format("{} is not a directory (a symbolic link?); left alone", root.string());
  return std::nullopt;
}

}  // namespace

RepoOutcome clone(const RepoRef& repo, const fs::path& target, const Context& ctx) {
  const fs::path root = ctx.repos_dir / k_partial_dir;
  if (auto problem = partial_root_problem(root))
    return outcome(repo, OutcomeKind::failed, {}, *problem);
  const fs::path partial =
      root / fmt::format("{}-{}", getpid(), g_partial_counter.fetch_add(1) + 1);
  auto discard = [&] {
    std::error_code ignored;  // a reason already explains the failure
    fs::remove_all(partial, ignored);
  };
  auto done = clone_into(repo, partial, ctx);
  if (done)
    done = make_ours(repo, partial, ctx);
  std::string commit;
  if (done) {
    done = rev_parse(ctx, repo, partial, "HEAD");
    if (done)
      commit = *done;
  }
  if (done)
    done = record_commit(ctx, repo, partial, commit);
  if (!done) {
    discard();
    RepoOutcome failed = done.error();
    if (failed.kind == OutcomeKind::failed && looks_like_short_sha(repo.ref))
      failed.reason += " (a commit is pinned by its full 40-character SHA)";
    return failed;
  }
  auto parent = open_parent(ctx, repo.dir, true);
  if (!parent) {
    discard();
    return outcome(repo, OutcomeKind::failed, {}, parent.error());
  }
  const std::string name = repo.dir.filename().string();
  if (rename_noreplace(partial.c_str(), parent->get(), name.c_str()) != 0) {
    const int err = errno;
    discard();
    return outcome(
        repo, OutcomeKind::failed, {},
        fmt::format(
            "cannot move the clone into {}: {}{}", target.string(), std::strerror(err),
            err == EEXIST || err == ENOTEMPTY ? " (it appeared while cloning; left alone)" : ""));
  }
  return outcome(repo, OutcomeKind::cloned, commit);
}

}  // namespace g2d::git::detail
