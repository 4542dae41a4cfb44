// git::scrape against real git: bare "upstream" repositories in temporary directories, cloned and
// updated through the local-path transport, and through loopback HTTP servers for credentials
// (one that only answers 401, one that serves repositories with git http-backend behind Basic
// authentication). Hostile layouts (symbolic links, foreign repositories, a repository's own
// `git`) are built by hand.
#include "git/scrape.hpp"

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <functional>
#include <map>
#include <mutex>
#include <netinet/in.h>
#include <poll.h>
#include <sstream>
#include <stop_token>
#include <sys/file.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/text.hpp"
#include "git/git_command.hpp"
#include "support.hpp"
#include "sys/process.hpp"

namespace g2d {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;
using git::OutcomeKind;
using std::chrono::milliseconds;
using std::chrono::seconds;

using test::ScopedEnv;

// A bare repository playing the remote, and a working clone of it to commit and push from.
struct Upstream {
  fs::path bare;
  fs::path work;
};

class Scrape : public ::testing::Test {
 protected:
  Scrape()
      : m_global(m_dir / "gitconfig"),
        m_config_global("GIT_CONFIG_GLOBAL", m_global.string()),
        m_no_system("GIT_CONFIG_NOSYSTEM", "1") {
    set_global_config("");
  }

  // The user's global git config for this test (the fixture's own settings plus `extra`).
  void set_global_config(std::string_view extra) const {
    test::write_file(
        m_global,
        "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n" + std::string(extra));
  }

  static std::string git(const fs::path& cwd, std::vector<std::string> args) {
    args.insert(args.begin(), "git");
    sys::ProcessOptions options;
    options.cwd = cwd;
    options.env = {{"GIT_AUTHOR_NAME", "Test"},
                   {"GIT_AUTHOR_EMAIL", "test@example.com"},
                   {"GIT_AUTHOR_DATE", "2024-01-01T00:00:00Z"},
                   {"GIT_COMMITTER_NAME", "Test"},
                   {"GIT_COMMITTER_EMAIL", "test@example.com"},
                   {"GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z"}};
    auto result = sys::run_process(args, options);
    if (!result)
      throw std::runtime_error(result.error().describe());
    if (result->exit_code != 0)
      throw std::runtime_error("git " + args[1] + " failed: " + result->output);
    std::string out = result->output;
    while (!out.empty() && out.back() == '\n')
      out.pop_back();
    return out;
  }

  Upstream make_upstream(const std::string& name, int commits = 1) const {
    Upstream up{m_dir / "upstream" / (name + ".git"), m_dir / "work" / name};
    fs::create_directories(up.bare);
    git(up.bare, {"init", "--quiet", "--bare"});
    git(m_dir.path(), {"clone", "--quiet", "--", up.bare.string(), up.work.string()});
    for (int i = 1; i <= commits; ++i)
      commit(up, "file.txt", name + " version " + std::to_string(i) + "\n");
    return up;
  }

  // Commits `content` to `file` on the work clone's current branch and pushes it.
  static std::string commit(const Upstream& up, const std::string& file,
                            const std::string& content) {
    test::write_file(up.work / file, content);
    git(up.work, {"add", "--", file});
    git(up.work, {"commit", "--quiet", "-m", "change " + file});
    git(up.work, {"push", "--quiet", "origin", "HEAD"});
    return git(up.work, {"rev-parse", "HEAD"});
  }

  git::RepoRef ref_for(const std::string& source, const std::string& pin = "") const {
    auto parsed = git::parse_repos(source + (pin.empty() ? "" : " " + pin), m_dir.path());
    if (parsed.repos.size() != 1)
      throw std::runtime_error("bad repos line: " + source);
    return parsed.repos[0];
  }
  git::RepoRef ref_for(const Upstream& up, const std::string& pin = "") const {
    return ref_for(up.bare.string(), pin);
  }

  std::vector<git::RepoOutcome> run(const std::vector<git::RepoRef>& repos, int depth = 1,
                                    int jobs = 2, std::stop_token stop = {}) const {
    git::ScrapeOptions options;
    options.repos_dir = repos_dir();
    options.depth = depth;
    options.jobs = jobs;
    options.stop = std::move(stop);
    return git::scrape(repos, options);
  }
  // A repository line written by hand: `dir` need not be what parse_repos would choose.
  static git::RepoRef ref_at(const std::string& source, const fs::path& dir,
                             git::RepoKind kind = git::RepoKind::local) {
    git::RepoRef repo;
    repo.source = source;
    repo.kind = kind;
    repo.dir = dir;
    repo.display = source;
    repo.line = 1;
    return repo;
  }

  // Makes upload-pack (every clone and fetch from a local upstream) run `script` first; the
  // hook is honoured from the global config only.
  void set_pack_hook(const std::string& script) const {
    const fs::path hook = m_dir / "pack-objects-hook.sh";
    test::write_file(hook, "#!/bin/sh\n" + script + "\nexec \"$@\"\n");
    fs::permissions(hook, fs::perms::owner_all);
    set_global_config("[uploadpack]\n\tpackObjectsHook = " + hook.string() + "\n");
  }

  git::RepoOutcome run_one(const git::RepoRef& repo, int depth = 1) const {
    auto outcomes = run({repo}, depth);
    if (outcomes.size() != 1)
      throw std::runtime_error("expected one outcome");
    return outcomes[0];
  }

  fs::path repos_dir() const { return m_dir / "repos"; }
  fs::path clone_of(const git::RepoRef& repo) const { return repos_dir() / repo.dir; }

  test::TempDir m_dir;
  fs::path m_global;
  ScopedEnv m_config_global;
  ScopedEnv m_no_system;
};

TEST_F(Scrape, ClonesShallowByDefault) {
  auto up = make_upstream("shallow", 2);
  auto repo = ref_for(up);
  auto result = run_one(repo);
  ASSERT_EQ(result.kind, OutcomeKind::cloned) << result.reason;
  const fs::path dir = clone_of(repo);
  EXPECT_EQ(result.commit, git(up.work, {"rev-parse", "HEAD"}));
  EXPECT_EQ(test::read_file(dir / "file.txt"), "shallow version 2\n");
  EXPECT_EQ(git(dir, {"rev-list", "--count", "HEAD"}), "1");
  EXPECT_TRUE(fs::exists(dir / ".git" / "shallow"));
  auto head = git::head_commit(dir);
  ASSERT_TRUE(head) << head.error().describe();
  EXPECT_EQ(*head, result.commit);
  EXPECT_FALSE(fs::exists(repos_dir() / ".partial"));
}

TEST_F(Scrape, DepthZeroClonesTheWholeHistory) {
  auto up = make_upstream("full", 3);
  auto repo = ref_for(up);
  auto result = run_one(repo, 0);
  ASSERT_EQ(result.kind, OutcomeKind::cloned) << result.reason;
  EXPECT_EQ(git(clone_of(repo), {"rev-list", "--count", "HEAD"}), "3");
  EXPECT_FALSE(fs::exists(clone_of(repo) / ".git" / "shallow"));
}

TEST_F(Scrape, SecondRunIsUnchanged) {
  auto up = make_upstream("again");
  auto repo = ref_for(up);
  ASSERT_EQ(run_one(repo).kind, OutcomeKind::cloned);
  auto second = run_one(repo);
  EXPECT_EQ(second.kind, OutcomeKind::unchanged) << second.reason;
  EXPECT_EQ(second.commit, git(up.work, {"rev-parse", "HEAD"}));
}

TEST_F(Scrape, NewUpstreamCommitUpdatesAFullClone) {
  auto up = make_upstream("full-update", 2);
  auto repo = ref_for(up);
  ASSERT_EQ(run_one(repo, 0).kind, OutcomeKind::cloned);
  std::string newer = commit(up, "file.txt", "newer\n");
  auto result = run_one(repo, 0);
  ASSERT_EQ(result.kind, OutcomeKind::updated) << result.reason;
  EXPECT_EQ(result.commit, newer);
  EXPECT_EQ(test::read_file(clone_of(repo) / "file.txt"), "newer\n");
  EXPECT_EQ(git(clone_of(repo), {"symbolic-ref", "--short", "HEAD"}), "main");
}

TEST_F(Scrape, NewUpstreamCommitUpdatesAShallowClone) {
  auto up = make_upstream("shallow-update", 3);
  auto repo = ref_for(up);
  ASSERT_EQ(run_one(repo).kind, OutcomeKind::cloned);
  commit(up, "other.txt", "one\n");
  std::string newest = commit(up, "file.txt", "newest\n");
  auto result = run_one(repo);
  ASSERT_EQ(result.kind, OutcomeKind::updated) << result.reason;
  EXPECT_EQ(result.commit, newest);
  EXPECT_EQ(test::read_file(clone_of(repo) / "file.txt"), "newest\n");
  EXPECT_EQ(test::read_file(clone_of(repo) / "other.txt"), "one\n");
}

TEST_F(Scrape, DirtyCloneIsReportedAndLeftAlone) {
  auto up = make_upstream("dirty");
  auto repo = ref_for(up);
  auto first = run_one(repo);
  ASSERT_EQ(first.kind, OutcomeKind::cloned);
  test::write_file(clone_of(repo) / "file.txt", "my local edit\n");
  commit(up, "file.txt", "upstream edit\n");
  auto result = run_one(repo);
  EXPECT_EQ(result.kind, OutcomeKind::dirty);
  EXPECT_THAT(result.reason, HasSubstr("local changes"));
  EXPECT_EQ(test::read_file(clone_of(repo) / "file.txt"), "my local edit\n");
  EXPECT_EQ(git(clone_of(repo), {"rev-parse", "HEAD"}), first.commit);
}

TEST_F(Scrape, UntrackedFilesDoNotMakeACloneDirty) {
  auto up = make_upstream("untracked");
  auto repo = ref_for(up);
  ASSERT_EQ(run_one(repo).kind, OutcomeKind::cloned);
  test::write_file(clone_of(repo) / "notes.txt", "mine\n");
  std::string newer = commit(up, "file.txt", "upstream edit\n");
  auto result = run_one(repo);
  EXPECT_EQ(result.kind, OutcomeKind::updated) << result.reason;
  EXPECT_EQ(result.commit, newer);
  EXPECT_EQ(test::read_file(clone_of(repo) / "notes.txt"), "mine\n");
}

TEST_F(Scrape, DivergedCloneIsReportedAndLeftAlone) {
  auto up = make_upstream("diverged", 2);
  auto repo = ref_for(up);
  ASSERT_EQ(run_one(repo).kind, OutcomeKind::cloned);
  test::write_file(clone_of(repo) / "local.txt", "local work\n");
  git(clone_of(repo), {"add", "local.txt"});
  git(clone_of(repo), {"commit", "--quiet", "-m", "local"});
  std::string local = git(clone_of(repo), {"rev-parse", "HEAD"});
  commit(up, "file.txt", "upstream moved on\n");
  auto result = run_one(repo);
  EXPECT_EQ(result.kind, OutcomeKind::diverged) << result.reason;
  EXPECT_THAT(result.reason, HasSubstr("not an ancestor"));
  EXPECT_EQ(git(clone_of(repo), {"rev-parse", "HEAD"}), local);
  EXPECT_EQ(test::read_file(clone_of(repo) / "file.txt"), "diverged version 2\n");
}

TEST_F(Scrape, MissingRemoteFailsWithAReason) {
  auto repo = ref_for((m_dir / "no-such-repo.git").string());
  auto result = run_one(repo);
  EXPECT_EQ(result.kind, OutcomeKind::failed);
  EXPECT_THAT(result.reason, HasSubstr("git clone failed"));
  EXPECT_THAT(result.reason, HasSubstr("no-such-repo.git"));
  EXPECT_FALSE(fs::exists(clone_of(repo)));
  EXPECT_FALSE(fs::exists(repos_dir() / ".partial"));
}

TEST_F(Scrape, PinnedTagIsClonedAndFollowedWhenMoved) {
  auto up = make_upstream("tagged", 2);
  std::string tagged = git(up.work, {"rev-parse", "HEAD"});
  git(up.work, {"tag", "--annotate", "-m", "release", "v1.0"});
  git(up.work, {"push", "--quiet", "origin", "v1.0"});
  commit(up, "file.txt", "after the tag\n");
  auto repo = ref_for(up, "v1.0");
  auto result = run_one(repo);
  ASSERT_EQ(result.kind, OutcomeKind::cloned) << result.reason;
  EXPECT_EQ(result.commit, tagged);
  EXPECT_EQ(test::read_file(clone_of(repo) / "file.txt"), "tagged version 2\n");
  EXPECT_EQ(run_one(repo).kind, OutcomeKind::unchanged);

  std::string moved = git(up.work, {"rev-parse", "HEAD"});
  git(up.work, {"tag", "--force", "--annotate", "-m", "re-release", "v1.0"});
  git(up.work, {"push", "--quiet", "--force", "origin", "v1.0"});
  auto again = run_one(repo);
  ASSERT_EQ(again.kind, OutcomeKind::updated) << again.reason;
  EXPECT_EQ(again.commit, moved);
  EXPECT_EQ(test::read_file(clone_of(repo) / "file.txt"), "after the tag\n");
}

TEST_F(Scrape, PinnedTagMovedToAnOlderCommitIsFollowed) {
  auto up = make_upstream("retagged", 3);
  std::string older = git(up.work, {"rev-parse", "HEAD~2"});
  git(up.work, {"tag", "v2"});
  git(up.work, {"push", "--quiet", "origin", "v2"});
  auto repo = ref_for(up, "v2");
  ASSERT_EQ(run_one(repo).kind, OutcomeKind::cloned);
  git(up.work, {"tag", "--force", "v2", older});
  git(up.work, {"push", "--quiet", "--force", "origin", "v2"});
  auto result = run_one(repo);
  ASSERT_EQ(result.kind, OutcomeKind::updated) << result.reason;
  EXPECT_EQ(result.commit, older);
  EXPECT_EQ(test::read_file(clone_of(repo) / "file.txt"), "retagged version 1\n");
}

TEST_F(Scrape, PinnedCommitIsCheckedOut) {
  auto up = make_upstream("commit", 3);
  std::string middle = git(up.work, {"rev-parse", "HEAD~1"});
  auto repo = ref_for(up, middle);
  auto result = run_one(repo);
  ASSERT_EQ(result.kind, OutcomeKind::cloned) << result.reason;
  EXPECT_EQ(result.commit, middle);
  EXPECT_EQ(test::read_file(clone_of(repo) / "file.txt"), "commit version 2\n");
  EXPECT_EQ(git(clone_of(repo), {"rev-list", "--count", "HEAD"}), "1");
  auto second = run_one(repo);
  EXPECT_EQ(second.kind, OutcomeKind::unchanged) << second.reason;
}

TEST_F(Scrape, PinnedCommitFallsBackToAFullFetchWhenTheServerRefusesIt) {
  // Protocol v0 servers refuse to send a commit no ref points at (protocol v2 allows it).
  set_global_config("[protocol]\n\tversion = 0\n");
  auto up = make_upstream("refusing", 3);
  std::string oldest = git(up.work, {"rev-parse", "HEAD~2"});
  auto repo = ref_for(up, oldest);
  auto result = run_one(repo);
  ASSERT_EQ(result.kind, OutcomeKind::cloned) << result.reason;
  EXPECT_EQ(result.commit, oldest);
  EXPECT_EQ(test::read_file(clone_of(repo) / "file.txt"), "refusing version 1\n");
}

TEST_F(Scrape, PinnedCommitThatDoesNotExistFails) {
  auto up = make_upstream("no-commit");
  auto repo = ref_for(up, std::string(40, 'a'));
  auto result = run_one(repo);
  EXPECT_EQ(result.kind, OutcomeKind::failed);
  EXPECT_FALSE(result.reason.empty());
  EXPECT_FALSE(fs::exists(clone_of(repo)));
  EXPECT_FALSE(fs::exists(repos_dir() / ".partial"));
}

TEST_F(Scrape, AbbreviatedCommitIdFailsWithAHint) {
  auto up = make_upstream("abbreviated", 2);
  auto repo = ref_for(up, git(up.work, {"rev-parse", "--short=10", "HEAD~1"}));
  auto result = run_one(repo);
  EXPECT_EQ(result.kind, OutcomeKind::failed);
  EXPECT_THAT(result.reason, HasSubstr("full 40-character SHA"));
  EXPECT_FALSE(fs::exists(clone_of(repo)));
}

TEST_F(Scrape, PinnedBranchIsClonedAndUpdated) {
  auto up = make_upstream("branchy", 1);
  git(up.work, {"switch", "--quiet", "--create", "dev"});
  std::string dev = commit(up, "file.txt", "on dev\n");
  git(up.work, {"switch", "--quiet", "main"});
  commit(up, "file.txt", "on main\n");
  auto repo = ref_for(up, "dev");
  auto result = run_one(repo);
  ASSERT_EQ(result.kind, OutcomeKind::cloned) << result.reason;
  EXPECT_EQ(result.commit, dev);
  EXPECT_EQ(git(clone_of(repo), {"symbolic-ref", "--short", "HEAD"}), "dev");

  git(up.work, {"switch", "--quiet", "dev"});
  std::string dev2 = commit(up, "file.txt", "on dev, later\n");
  auto again = run_one(repo);
  ASSERT_EQ(again.kind, OutcomeKind::updated) << again.reason;
  EXPECT_EQ(again.commit, dev2);
  EXPECT_EQ(test::read_file(clone_of(repo) / "file.txt"), "on dev, later\n");
}

TEST_F(Scrape, DirectoryThatIsNotARepositoryFailsAndIsLeftAlone) {
  auto up = make_upstream("occupied");
  auto repo = ref_for(up);
  test::write_file(clone_of(repo) / "keep.txt", "not a clone\n");
  auto result = run_one(repo);
  EXPECT_EQ(result.kind, OutcomeKind::failed);
  EXPECT_THAT(result.reason, HasSubstr("not a git repository"));
  EXPECT_EQ(test::read_file(clone_of(repo) / "keep.txt"), "not a clone\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(clone_of(repo)), fs::directory_iterator()), 1);
}

TEST_F(Scrape, ManyRepositoriesInParallel) {
  std::vector<git::RepoRef> repos;
  std::vector<std::string> heads;
  for (int i = 0; i < 6; ++i) {
    auto up = make_upstream("parallel" + std::to_string(i));
    repos.push_back(ref_for(up));
    heads.push_back(git(up.work, {"rev-parse", "HEAD"}));
  }
  std::mutex mutex;
  std::vector<std::string> reported;
  git::ScrapeOptions options;
  options.repos_dir = repos_dir();
  options.jobs = 4;
  options.on_outcome = [&](const git::RepoOutcome& o) {
    std::lock_guard lock(mutex);
    reported.push_back(o.repo.source);
  };
  auto outcomes = git::scrape(repos, options);
  ASSERT_EQ(outcomes.size(), repos.size());
  EXPECT_EQ(reported.size(), repos.size());
  for (size_t i = 0; i < repos.size(); ++i) {
    EXPECT_EQ(outcomes[i].repo.source, repos[i].source);  // input order
    EXPECT_EQ(outcomes[i].kind, OutcomeKind::cloned) << outcomes[i].reason;
    EXPECT_EQ(outcomes[i].commit, heads[i]);
    EXPECT_TRUE(fs::exists(clone_of(repos[i]) / "file.txt"));
  }
}

TEST_F(Scrape, CancelMidCloneLeavesNoClone) {
  auto slow = make_upstream("slow");
  auto later = make_upstream("later");
  // upload-pack runs this hook (honoured from the global config only) to make the pack.
  const fs::path marker = m_dir / "hook-started";
  const fs::path hook = m_dir / "slow-pack-objects.sh";
  test::write_file(hook, "#!/bin/sh\ntouch '" + marker.string() + "'\nsleep 20\nexec \"$@\"\n");
  fs::permissions(hook, fs::perms::owner_all);
  set_global_config("[uploadpack]\n\tpackObjectsHook = " + hook.string() + "\n");
  // A partial clone left by a process that no longer exists.
  test::write_file(repos_dir() / ".partial" / "999999999-1" / "junk", "stale");

  std::stop_source cancel;
  std::thread canceller([&] {
    auto deadline = Clock::now() + seconds(15);
    while (!fs::exists(marker) && Clock::now() < deadline)
      std::this_thread::sleep_for(milliseconds(20));
    cancel.request_stop();
  });
  auto start = Clock::now();
  auto outcomes = run({ref_for(slow), ref_for(later)}, 1, 1, cancel.get_token());
  canceller.join();
  EXPECT_LT(Clock::now() - start, seconds(10));
  ASSERT_EQ(outcomes.size(), 2U);
  EXPECT_TRUE(fs::exists(marker));
  EXPECT_EQ(outcomes[0].kind, OutcomeKind::cancelled) << outcomes[0].reason;
  EXPECT_EQ(outcomes[1].kind, OutcomeKind::cancelled) << outcomes[1].reason;
  EXPECT_FALSE(fs::exists(clone_of(ref_for(slow))));
  EXPECT_FALSE(fs::exists(clone_of(ref_for(later))));
  EXPECT_FALSE(fs::exists(repos_dir() / ".partial"));  // ours removed, the stale one too

  set_global_config("");
  auto next = run({ref_for(slow)});
  EXPECT_EQ(next[0].kind, OutcomeKind::cloned) << next[0].reason;
  EXPECT_FALSE(fs::exists(repos_dir() / ".partial"));
}

// A TCP server on a free loopback port: `handle` runs on the server's thread for each connection,
// which is closed after it. Stops (and joins) with the object.
class LoopbackServer {
 public:
  explicit LoopbackServer(std::function<void(int)> handle) : m_handle(std::move(handle)) {
    m_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (m_fd < 0 || bind(m_fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
        listen(m_fd, 8) != 0 || getsockname(m_fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      throw std::runtime_error("cannot listen on loopback");
    }
    m_port = ntohs(addr.sin_port);
    m_thread = std::thread([this] { serve(); });
  }
  ~LoopbackServer() {
    m_stop.store(true);
    m_thread.join();
    close(m_fd);
  }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  int port() const { return m_port; }

 private:
  void serve() {
    while (!m_stop.load()) {
      pollfd pfd{m_fd, POLLIN, 0};
      if (poll(&pfd, 1, 50) <= 0)
        continue;
      int client = accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0)
        continue;
      m_handle(client);
      close(client);
    }
  }

  std::function<void(int)> m_handle;
  int m_fd = -1;
  int m_port = 0;
  std::atomic<bool> m_stop{false};
  std::thread m_thread;
};

// Answers every HTTP request with 401 and counts them; stops with the object.
class UnauthorizedServer {
 public:
  int port() const { return m_server.port(); }
  int requests() const { return m_requests.load(); }

 private:
  void answer(int client) {
    std::string request;
    char buf[1024];
    while (request.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = read(client, buf, sizeof buf);
      if (n <= 0)
        break;
      request.append(buf, static_cast<size_t>(n));
    }
    ++m_requests;
    std::string_view response =
        "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"test\"\r\n"
        "Content-Length: 0\r\nConnection: close\r\n\r\n";
    (void)!write(client, response.data(), response.size());
  }

  std::atomic<int> m_requests{0};
  LoopbackServer m_server{[this](int client) { answer(client); }};  // last: serves at once
};

std::string base64(std::string_view in) {
  static constexpr std::string_view k_chars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t n = static_cast<uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (i + 1 < in.size())
      n |= static_cast<uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    if (i + 2 < in.size())
      n |= static_cast<unsigned char>(in[i + 2]);
    out += k_chars[(n >> 18) & 63];
    out += k_chars[(n >> 12) & 63];
    out += i + 1 < in.size() ? k_chars[(n >> 6) & 63] : '=';
    out += i + 2 < in.size() ? k_chars[n & 63] : '=';
  }
  return out;
}

// Serves the bare repositories under `root` over smart HTTP (git http-backend run as a CGI
// program, one request per connection) to clients that send Basic credentials `user:password`.
class GitHttpServer {
 public:
  GitHttpServer(fs::path root, const std::string& user_password)
      : m_root(std::move(root)), m_authorization("Basic " + base64(user_password)) {}
  GitHttpServer(const GitHttpServer&) = delete;
  GitHttpServer& operator=(const GitHttpServer&) = delete;

  int port() const { return m_server.port(); }
  void require(const std::string& user_password) {
    std::lock_guard lock(m_mutex);
    m_authorization = "Basic " + base64(user_password);
  }

 private:
  static bool read_more(int fd, std::string& data) {
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0)
      return false;
    data.append(buf, static_cast<size_t>(n));
    return true;
  }

  static void send_all(int fd, std::string_view data) {
    while (!data.empty()) {
      ssize_t n = write(fd, data.data(), data.size());
      if (n <= 0)
        return;
      data.remove_prefix(static_cast<size_t>(n));
    }
  }

  void handle(int client) {
    std::string data;
    size_t head_end = 0;
    while ((head_end = data.find("\r\n\r\n")) == std::string::npos) {
      if (!read_more(client, data))
        return;
    }
    std::string head = data.substr(0, head_end);
    std::string rest = data.substr(head_end + 4);
    std::istringstream lines(head);
    std::string method;
    std::string target;
    lines >> method >> target;
    std::map<std::string, std::string> headers;
    std::string line;
    std::getline(lines, line);
    while (std::getline(lines, line)) {
      if (!line.empty() && line.back() == '\r')
        line.pop_back();
      size_t colon = line.find(':');
      if (colon == std::string::npos)
        continue;
      std::string name = to_lower(line.substr(0, colon));
      headers[name] = line.substr(line.find_first_not_of(' ', colon + 1));
    }
    std::string expected;
    {
      std::lock_guard lock(m_mutex);
      expected = m_authorization;
    }
    if (headers["authorization"] != expected) {
      send_all(client,
               "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"test\"\r\n"
               "Content-Length: 0\r\nConnection: close\r\n\r\n");
      return;
    }
    if (to_lower(headers["expect"]) == "100-continue")
      send_all(client, "HTTP/1.1 100 Continue\r\n\r\n");
    std::string body;
    if (to_lower(headers["transfer-encoding"]) == "chunked") {
      for (;;) {
        size_t eol = 0;
        while ((eol = rest.find("\r\n")) == std::string::npos) {
          if (!read_more(client, rest))
            return;
        }
        size_t size = std::stoul(rest.substr(0, eol), nullptr, 16);
        while (rest.size() < eol + 2 + size + 2) {
          if (!read_more(client, rest))
            return;
        }
        body += rest.substr(eol + 2, size);
        rest.erase(0, eol + 2 + size + 2);
        if (size == 0)
          break;
      }
    } else {
      size_t length = headers.count("content-length") ? std::stoul(headers["content-length"]) : 0;
      while (rest.size() < length) {
        if (!read_more(client, rest))
          return;
      }
      body = rest.substr(0, length);
    }

    test::TempDir scratch;
    test::write_file(scratch / "body", body);
    size_t question = target.find('?');
    sys::ProcessOptions options;
    options.max_output = 64U << 20;
    options.env = {
        {"GIT_PROJECT_ROOT", m_root.string()},
        {"GIT_HTTP_EXPORT_ALL", "1"},
        {"REQUEST_METHOD", method},
        {"PATH_INFO", target.substr(0, question)},
        {"QUERY_STRING", question == std::string::npos ? "" : target.substr(question + 1)},
        {"CONTENT_TYPE", headers["content-type"]},
        {"CONTENT_LENGTH", std::to_string(body.size())},
        {"REMOTE_ADDR", "127.0.0.1"}};
    if (headers.count("content-encoding"))
      options.env.emplace_back("HTTP_CONTENT_ENCODING", headers["content-encoding"]);
    if (headers.count("git-protocol"))
      options.env.emplace_back("GIT_PROTOCOL", headers["git-protocol"]);
    auto cgi = sys::run_process(
        {"sh", "-c", "exec git http-backend <\"$0\" 2>/dev/null", (scratch / "body").string()},
        options);
    if (!cgi || cgi->exit_code != 0) {
      send_all(client, "HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\n\r\n");
      return;
    }
    size_t cgi_end = cgi->output.find("\r\n\r\n");
    if (cgi_end == std::string::npos)
      return;
    std::string status = "200 OK";
    std::string out_headers;
    std::istringstream cgi_lines(cgi->output.substr(0, cgi_end));
    while (std::getline(cgi_lines, line)) {
      if (!line.empty() && line.back() == '\r')
        line.pop_back();
      if (to_lower(line).starts_with("status:"))
        status = line.substr(line.find_first_not_of(' ', 7));
      else
        out_headers += line + "\r\n";
    }
    send_all(client, "HTTP/1.1 " + status + "\r\n" + out_headers + "Connection: close\r\n\r\n");
    send_all(client, std::string_view(cgi->output).substr(cgi_end + 4));
  }

  fs::path m_root;
  std::mutex m_mutex;
  std::string m_authorization;
  LoopbackServer m_server{[this](int client) { handle(client); }};  // last: serves at once
};

// Every file of `dir` whose bytes contain `secret`.
std::vector<std::string> files_containing(const fs::path& dir, const std::string& secret) {
  std::vector<std::string> found;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file() &&
        test::read_file(entry.path()).find(secret) != std::string::npos) {
      found.push_back(entry.path().string());
    }
  }
  return found;
}

TEST_F(Scrape, CredentialsComeFromTheLineEachRunAndAreNeverStored) {
  auto up = make_upstream("private", 2);
  GitHttpServer server(up.bare.parent_path(), "someone:first-secret");
  const std::string url = fmt::format("http://127.0.0.1:{}/private.git", server.port());
  auto with_password = [&](const std::string& password) {
    return ref_for(
        fmt::format("http://someone:{}@127.0.0.1:{}/private.git", password, server.port()));
  };
  auto repo = with_password("first-secret");
  auto cloned = run_one(repo);
  ASSERT_EQ(cloned.kind, OutcomeKind::cloned) << cloned.reason;
  EXPECT_EQ(cloned.commit, git(up.work, {"rev-parse", "HEAD"}));
  EXPECT_EQ(git(clone_of(repo), {"config", "--get", "remote.origin.url"}), url);
  EXPECT_THAT(files_containing(clone_of(repo), "first-secret"), ::testing::IsEmpty());

  // The token was rotated: the new line's credentials are used, the old ones are nowhere.
  server.require("someone:second-secret");
  std::string newer = commit(up, "file.txt", "newer\n");
  auto updated = run_one(with_password("second-secret"));
  ASSERT_EQ(updated.kind, OutcomeKind::updated) << updated.reason;
  EXPECT_EQ(updated.commit, newer);
  EXPECT_THAT(files_containing(clone_of(repo), "secret"), ::testing::IsEmpty());
  EXPECT_EQ(git(clone_of(repo), {"config", "--get", "remote.origin.url"}), url);
}

TEST_F(Scrape, RepositoryNeedingCredentialsFailsWithoutPrompting) {
  UnauthorizedServer server;
  auto anonymous = ref_for(fmt::format("http://127.0.0.1:{}/owner/private.git", server.port()));
  auto with_password = ref_for(
      fmt::format("http://someone:hunter2secret@127.0.0.1:{}/owner/other.git", server.port()));
  auto start = Clock::now();
  auto outcomes = run({anonymous, with_password});
  EXPECT_LT(Clock::now() - start, seconds(10));
  EXPECT_GT(server.requests(), 0);
  for (const auto& o : outcomes) {
    EXPECT_EQ(o.kind, OutcomeKind::failed);
    EXPECT_THAT(o.reason, HasSubstr("needs credentials"));
    EXPECT_THAT(o.reason, HasSubstr("credential helper"));
    EXPECT_THAT(o.reason, Not(HasSubstr("hunter2secret")));
    EXPECT_THAT(o.repo.display, Not(HasSubstr("hunter2secret")));
    EXPECT_FALSE(fs::exists(clone_of(o.repo)));
  }
}

TEST_F(Scrape, UnreachableHostWithPasswordFailsQuicklyAndRedacted) {
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  auto repo = ref_for("https://someone:hunter2secret@127.0.0.1:1/owner/repo.git");
  auto start = Clock::now();
  auto result = run_one(repo);
  EXPECT_LT(Clock::now() - start, seconds(10));
  EXPECT_EQ(result.kind, OutcomeKind::failed);
  EXPECT_THAT(result.reason, HasSubstr("127.0.0.1"));
  EXPECT_THAT(result.reason, Not(HasSubstr("hunter2secret")));
  EXPECT_FALSE(fs::exists(clone_of(repo)));
}

// --- foreign directories (finding: scrape ran git fetch in any directory holding .git) --------

TEST_F(Scrape, RepositoryNotClonedByGit2datasetIsLeftAlone) {
  auto up = make_upstream("foreign");
  auto repo = ref_for(up);
  git(m_dir.path(), {"clone", "--quiet", "--", up.bare.string(), clone_of(repo).string()});
  std::string before = git(clone_of(repo), {"rev-parse", "HEAD"});
  commit(up, "file.txt", "upstream moved on\n");
  auto result = run_one(repo);
  EXPECT_EQ(result.kind, OutcomeKind::failed);
  EXPECT_THAT(result.reason, HasSubstr("not cloned by git2dataset"));
  EXPECT_THAT(result.reason, HasSubstr("left alone"));
  EXPECT_EQ(git(clone_of(repo), {"rev-parse", "HEAD"}), before);
}

TEST_F(Scrape, ForeignGitDirectoryLaidOutByAnotherCloneIsNeverUsed) {
  // The attack: one repository cloned to `p/.git` whose files are a repository's insides (HEAD,
  // objects, refs and a config naming a program), then a line for `p`. git run in `p` would
  // take `p/.git` as p's repository and honour that config.
  const fs::path marker = m_dir / "proxy-ran";
  const fs::path proxy = m_dir / "proxy.sh";
  test::write_file(proxy, "#!/bin/sh\ntouch '" + marker.string() + "'\nexit 1\n");
  fs::permissions(proxy, fs::perms::owner_all);
  const std::string victim_url = "git://127.0.0.1:1/victim.git";

  // The insides: a repository with one empty commit, copied as plain files.
  const fs::path insides = m_dir / "insides";
  git(m_dir.path(), {"init", "--quiet", insides.string()});
  git(insides, {"commit", "--quiet", "--allow-empty", "-m", "bait"});
  auto evil = make_upstream("evil");
  for (const auto& entry : fs::recursive_directory_iterator(insides / ".git" / "objects")) {
    if (entry.is_regular_file()) {
      fs::path rel = fs::relative(entry.path(), insides / ".git");
      fs::create_directories((evil.work / rel).parent_path());
      fs::copy_file(entry.path(), evil.work / rel);
    }
  }
  test::write_file(evil.work / "HEAD", "ref: refs/heads/main\n");
  test::write_file(evil.work / "refs" / "heads" / "main",
                   git(insides, {"rev-parse", "HEAD"}) + "\n");
  commit(evil, "config",
         "[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tgitProxy = " + proxy.string() +
             "\n[remote \"origin\"]\n\turl = " + victim_url +
             "\n[git2dataset]\n\tmanaged = true\n");
  git(evil.work, {"add", "--all"});
  git(evil.work, {"commit", "--quiet", "-m", "insides"});
  git(evil.work, {"push", "--quiet", "origin", "HEAD"});
  // Cloned (and marked) as if by git2dataset, to `p/.git`.
  const fs::path p = repos_dir() / "p";
  git(m_dir.path(), {"clone", "--quiet", "--", evil.bare.string(), (p / ".git").string()});
  git(p / ".git", {"config", "git2dataset.managed", "true"});

  auto result = run_one(ref_at(victim_url, "p", git::RepoKind::remote));
  EXPECT_EQ(result.kind, OutcomeKind::failed);
  EXPECT_THAT(result.reason, HasSubstr("not cloned by git2dataset"));
  EXPECT_FALSE(fs::exists(marker)) << "git honoured the config of a foreign layout";
}

TEST_F(Scrape, GitDirectoryMustBeTheTargetsOwn) {
  // A bare repository (marked, with an empty `.git` folder): git finds the repository at the
  // target itself, not at target/.git.
  auto up = make_upstream("bare-target");
  auto repo = ref_for(up);
  git(m_dir.path(),
      {"clone", "--quiet", "--bare", "--", up.bare.string(), clone_of(repo).string()});
  git(clone_of(repo), {"config", "git2dataset.managed", "true"});
  fs::create_directories(clone_of(repo) / ".git");
  auto result = run_one(repo);
  EXPECT_EQ(result.kind, OutcomeKind::failed);
  EXPECT_THAT(result.reason, HasSubstr("not cloned by git2dataset"));
}

TEST_F(Scrape, TargetInsideAnotherCloneIsRefused) {
  auto outer = make_upstream("outer");
  auto inner = make_upstream("inner");
  ASSERT_EQ(run_one(ref_at(outer.bare.string(), "nest/outer")).kind, OutcomeKind::cloned);
  auto result = run_one(ref_at(inner.bare.string(), "nest/outer/sub/inner"));
  EXPECT_EQ(result.kind, OutcomeKind::failed);
  EXPECT_THAT(result.reason, HasSubstr("inside the git repository"));
  EXPECT_FALSE(fs::exists(repos_dir() / "nest" / "outer" / "sub"));
}

TEST_F(Scrape, CloneIsMarkedAsOurs) {
  auto up = make_upstream("marked");
  auto repo = ref_for(up);
  auto result = run_one(repo);
  ASSERT_EQ(result.kind, OutcomeKind::cloned) << result.reason;
  EXPECT_EQ(git(clone_of(repo), {"config", "--get", "git2dataset.managed"}), "true");
  EXPECT_EQ(git(clone_of(repo), {"config", "--get", "git2dataset.pinned"}), result.commit);
}

// --- symbolic links and replaced directories ----------------------------------------------------

TEST_F(Scrape, SymlinkedParentPointingOutsideIsRefused) {
  auto up = make_upstream("escape");
  auto repo = ref_for(up);  // FOLDER/escape.git-HASH: a link where FOLDER goes
  const fs::path link = repos_dir() / *repo.dir.begin();
  const fs::path outside = m_dir / "outside";
  fs::create_directories(outside);
  fs::create_directories(repos_dir());
  fs::create_directory_symlink(outside, link);
  auto result = run_one(repo);
  EXPECT_EQ(result.kind, OutcomeKind::failed);
  EXPECT_THAT(result.reason, HasSubstr("symbolic link"));
  EXPECT_THAT(result.reason, HasSubstr(link.string()));
  EXPECT_TRUE(fs::is_empty(outside)) << "the clone was written outside repos_dir";
}

TEST_F(Scrape, SymlinkedTargetIsRefused) {
  auto up = make_upstream("linked");
  auto repo = ref_for(up);
  // A clone git2dataset made elsewhere, and a link to it where this repository's clone goes.
  git::ScrapeOptions elsewhere;
  elsewhere.repos_dir = m_dir / "other-repos";
  auto made = git::scrape({repo}, elsewhere);
  ASSERT_EQ(made[0].kind, OutcomeKind::cloned) << made[0].reason;
  const fs::path outside = elsewhere.repos_dir / repo.dir;
  fs::create_directories(clone_of(repo).parent_path());
  fs::create_directory_symlink(outside, clone_of(repo));
  commit(up, "file.txt", "upstream moved on\n");
  auto result = run_one(repo);
  EXPECT_EQ(result.kind, OutcomeKind::failed);
  EXPECT_THAT(result.reason, HasSubstr("symbolic link"));
  EXPECT_EQ(git(outside, {"rev-parse", "HEAD"}), made[0].commit);
}

TEST_F(Scrape, EmptyDirectoryAppearingDuringTheCloneIsNotReplaced) {
  auto up = make_upstream("appearing");
  auto repo = ref_for(up);
  set_pack_hook("mkdir -p '" + clone_of(repo).string() + "'");
  auto result = run_one(repo);
  EXPECT_EQ(result.kind, OutcomeKind::failed);
  EXPECT_THAT(result.reason, HasSubstr("cannot move the clone"));
  EXPECT_TRUE(fs::is_empty(clone_of(repo)));
  EXPECT_FALSE(fs::exists(repos_dir() / ".partial"));
}

TEST_F(Scrape, FailedMoveSaysWhy) {
  auto up = make_upstream("occupied-later");
  auto repo = ref_for(up);
  const fs::path keep = clone_of(repo) / "keep.txt";
  set_pack_hook("mkdir -p '" + clone_of(repo).string() + "' && echo mine > '" + keep.string() +
                "'");
  auto result = run_one(repo);
  EXPECT_EQ(result.kind, OutcomeKind::failed);
  EXPECT_THAT(result.reason, HasSubstr("cannot move the clone"));
  EXPECT_THAT(result.reason, HasSubstr("exists"));
  EXPECT_THAT(result.reason, Not(HasSubstr("Success")));
  EXPECT_EQ(test::read_file(keep), "mine\n");
  EXPECT_FALSE(fs::exists(repos_dir() / ".partial"));
}

// --- PATH ----------------------------------------------------------------------------------------

TEST_F(Scrape, RepositorysOwnGitIsNeverRunThroughARelativePath) {
  const fs::path marker = m_dir / "repository-git-ran";
  auto up = make_upstream("own-git");
  test::write_file(up.work / "git", "#!/bin/sh\ntouch '" + marker.string() + "'\n");
  fs::permissions(up.work / "git", fs::perms::owner_all);
  git(up.work, {"add", "git"});
  git(up.work, {"commit", "--quiet", "-m", "a git of its own"});
  git(up.work, {"push", "--quiet", "origin", "HEAD"});
  auto repo = ref_for(up);
  const std::string path = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "/usr/bin:/bin";
  ScopedEnv dot_first("PATH", ".:" + path);
  ASSERT_EQ(run_one(repo).kind, OutcomeKind::cloned);
  std::string newer = commit(up, "file.txt", "newer\n");
  auto result = run_one(repo);  // git runs in the clone, which holds ./git
  EXPECT_EQ(result.kind, OutcomeKind::updated) << result.reason;
  EXPECT_EQ(result.commit, newer);
  EXPECT_FALSE(fs::exists(marker)) << "the repository's own git ran";
}

// --- git's environment and options --------------------------------------------------------------

// The environment a git call's commands see, one variable a line.
std::string git_env(const git::detail::GitSettings* settings) {
  auto run = git::detail::run_git({{"-c", "alias.penv=!env", "penv"}, {}, false, {}, {}, settings});
  if (!run || run->exit_code != 0)
    throw std::runtime_error("git penv failed");
  return "\n" + run->output;
}

TEST_F(Scrape, GitCallsGetASafeEnvironment) {
  const std::string path = std::getenv("PATH") != nullptr ? std::getenv("PATH") : "/usr/bin:/bin";
  ScopedEnv odd_path("PATH", ".:" + path + "::relative/bin");
  ScopedEnv no_ssh_command("GIT_SSH_COMMAND", std::nullopt);
  ScopedEnv no_ssh("GIT_SSH", std::nullopt);
  auto settings = git::detail::read_git_settings();
  EXPECT_FALSE(settings.user_ssh_command);
  std::string env = git_env(&settings);
  EXPECT_THAT(env, HasSubstr("\nGIT_LFS_SKIP_SMUDGE=1\n"));
  EXPECT_THAT(env, HasSubstr("\nGIT_TERMINAL_PROMPT=0\n"));
  EXPECT_THAT(env, HasSubstr("\nGIT_SSH_COMMAND=ssh -o BatchMode=yes -o ConnectTimeout=30 -o "
                             "ServerAliveInterval=15 -o ServerAliveCountMax=4\n"));
  size_t at = env.find("\nPATH=");
  ASSERT_NE(at, std::string::npos);
  std::string value = env.substr(at + 6, env.find('\n', at + 1) - at - 6);
  std::vector<std::string> entries;
  for (size_t pos = 0; pos <= value.size();) {
    size_t end = std::min(value.find(':', pos), value.size());
    entries.push_back(value.substr(pos, end - pos));
    pos = end + 1;
  }
  for (const auto& entry : entries)
    EXPECT_TRUE(!entry.empty() && entry.front() == '/') << "PATH entry '" << entry << "'";

  for (auto [key, expected] :
       {std::pair{"http.lowSpeedLimit", "1000"}, std::pair{"http.lowSpeedTime", "60"},
        std::pair{"core.hooksPath", "/dev/null"}, std::pair{"protocol.ext.allow", "never"}}) {
    git::detail::GitCall call;
    call.args = {"config", "--get", key};
    auto run = git::detail::run_git(call);
    ASSERT_TRUE(run) << run.error().describe();
    EXPECT_EQ(git::detail::first_line(run->output), expected) << key;
  }
}

TEST_F(Scrape, UsersSshCommandIsLeftAlone) {
  ScopedEnv no_ssh_command("GIT_SSH_COMMAND", std::nullopt);
  ScopedEnv no_ssh("GIT_SSH", std::nullopt);
  const fs::path marker = m_dir / "my-ssh-ran";
  const fs::path mine = m_dir / "my-ssh.sh";
  test::write_file(mine, "#!/bin/sh\ntouch '" + marker.string() + "'\nexit 255\n");
  fs::permissions(mine, fs::perms::owner_all);
  set_global_config("[core]\n\tsshCommand = " + mine.string() + "\n");
  auto settings = git::detail::read_git_settings();
  EXPECT_TRUE(settings.user_ssh_command);
  EXPECT_THAT(git_env(&settings), Not(HasSubstr("\nGIT_SSH_COMMAND=")));

  auto result = run_one(ref_for("ssh://git@127.0.0.1:1/owner/repo.git"));
  EXPECT_EQ(result.kind, OutcomeKind::failed);
  EXPECT_TRUE(fs::exists(marker)) << "core.sshCommand was overridden: " << result.reason;

  set_global_config("");
  ScopedEnv theirs("GIT_SSH", mine.string());
  EXPECT_TRUE(git::detail::read_git_settings().user_ssh_command);
}

TEST_F(Scrape, IdleTimeoutStopsASilentGit) {
  git::detail::GitCall call;
  call.args = {"-c", "alias.hang=!sleep 20", "hang"};
  call.idle_timeout = milliseconds(300);
  auto start = Clock::now();
  auto run = git::detail::run_git(call);
  ASSERT_FALSE(run);
  EXPECT_EQ(run.error().kind, ErrorKind::timeout);
  EXPECT_LT(Clock::now() - start, seconds(5));
}

TEST_F(Scrape, CredentialsAreDroppedFromStoredUrls) {
  using git::detail::without_credentials;
  EXPECT_EQ(without_credentials("https://user:pw@example.com/o/r.git"),
            "https://example.com/o/r.git");
  EXPECT_EQ(without_credentials("https://ghp_token@example.com:8443/o/r.git"),
            "https://example.com:8443/o/r.git");
  EXPECT_EQ(without_credentials("http://a:b@c@example.com/r"), "http://example.com/r");
  EXPECT_EQ(without_credentials("https://example.com/o/r.git"), "https://example.com/o/r.git");
  // ssh names a login, which is no secret and needed; only a password goes.
  EXPECT_EQ(without_credentials("ssh://git@example.com/o/r.git"), "ssh://git@example.com/o/r.git");
  EXPECT_EQ(without_credentials("ssh://git:pw@example.com/o/r.git"),
            "ssh://git@example.com/o/r.git");
  EXPECT_EQ(without_credentials("git@example.com:o/r.git"), "git@example.com:o/r.git");
  EXPECT_EQ(without_credentials("/srv/git/r.git"), "/srv/git/r.git");
  EXPECT_EQ(without_credentials("https://example.com/o/r@v2.git"),
            "https://example.com/o/r@v2.git");
}

// --- pins ---------------------------------------------------------------------------------------

TEST_F(Scrape, PinMovedToADescendantBranchDoesNotMoveTheOldBranch) {
  auto up = make_upstream("repin", 1);
  git(up.work, {"switch", "--quiet", "--create", "dev"});
  std::string dev = commit(up, "file.txt", "on dev\n");
  git(up.work, {"switch", "--quiet", "main"});
  git(up.work, {"merge", "--quiet", "--ff-only", "dev"});
  std::string main = commit(up, "file.txt", "on main, after dev\n");
  ASSERT_EQ(run_one(ref_for(up, "dev")).kind, OutcomeKind::cloned);
  auto repo = ref_for(up, "main");
  auto result = run_one(repo);
  ASSERT_EQ(result.kind, OutcomeKind::updated) << result.reason;
  EXPECT_EQ(result.commit, main);
  EXPECT_EQ(test::read_file(clone_of(repo) / "file.txt"), "on main, after dev\n");
  EXPECT_EQ(git(clone_of(repo), {"rev-parse", "refs/heads/dev"}), dev)
      << "the branch dev was moved to main's commit";
  EXPECT_EQ(run_one(repo).kind, OutcomeKind::unchanged);
}

TEST_F(Scrape, PinMovedToADivergedBranchIsFollowed) {
  auto up = make_upstream("fork", 1);
  git(up.work, {"switch", "--quiet", "--create", "dev"});
  commit(up, "file.txt", "on dev\n");
  git(up.work, {"switch", "--quiet", "main"});
  std::string main = commit(up, "file.txt", "on main\n");
  ASSERT_EQ(run_one(ref_for(up, "dev")).kind, OutcomeKind::cloned);
  auto result = run_one(ref_for(up, "main"));
  ASSERT_EQ(result.kind, OutcomeKind::updated) << result.reason;
  EXPECT_EQ(result.commit, main);
}

TEST_F(Scrape, PinMovedToAnOlderCommitWhileOnABranchIsFollowed) {
  auto up = make_upstream("older", 3);
  std::string oldest = git(up.work, {"rev-parse", "HEAD~2"});
  auto unpinned = ref_for(up);
  ASSERT_EQ(run_one(unpinned).kind, OutcomeKind::cloned);
  auto result = run_one(ref_for(up, oldest));
  ASSERT_EQ(result.kind, OutcomeKind::updated) << result.reason;
  EXPECT_EQ(result.commit, oldest);
  EXPECT_EQ(test::read_file(clone_of(unpinned) / "file.txt"), "older version 1\n");
}

TEST_F(Scrape, PinMovedFromANewerTagToAnOlderCommitIsFollowed) {
  auto up = make_upstream("downgrade", 3);
  std::string older = git(up.work, {"rev-parse", "HEAD~1"});
  git(up.work, {"tag", "v3"});
  git(up.work, {"push", "--quiet", "origin", "v3"});
  ASSERT_EQ(run_one(ref_for(up, "v3")).kind, OutcomeKind::cloned);
  auto result = run_one(ref_for(up, older));
  ASSERT_EQ(result.kind, OutcomeKind::updated) << result.reason;
  EXPECT_EQ(result.commit, older);
  EXPECT_EQ(run_one(ref_for(up, older)).kind, OutcomeKind::unchanged);
}

TEST_F(Scrape, LocalCommitsOnAPinnedCloneAreNeverLost) {
  auto up = make_upstream("mine", 2);
  std::string older = git(up.work, {"rev-parse", "HEAD~1"});
  auto repo = ref_for(up, "main");
  ASSERT_EQ(run_one(repo).kind, OutcomeKind::cloned);
  test::write_file(clone_of(repo) / "local.txt", "local work\n");
  git(clone_of(repo), {"add", "local.txt"});
  git(clone_of(repo), {"commit", "--quiet", "-m", "local"});
  std::string local = git(clone_of(repo), {"rev-parse", "HEAD"});
  auto result = run_one(ref_for(up, older));
  EXPECT_EQ(result.kind, OutcomeKind::diverged) << result.reason;
  EXPECT_EQ(git(clone_of(repo), {"rev-parse", "HEAD"}), local);
}

// --- two scrapes, one repos_dir --------------------------------------------------------------

// Holds repos_dir/.lock the way a running scrape does.
class LockHolder {
 public:
  explicit LockHolder(const fs::path& repos_dir) {
    fs::create_directories(repos_dir);
    m_fd = open((repos_dir / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (m_fd < 0 || flock(m_fd, LOCK_EX | LOCK_NB) != 0)
      throw std::runtime_error("cannot take the lock");
  }
  ~LockHolder() { close(m_fd); }
  LockHolder(const LockHolder&) = delete;
  LockHolder& operator=(const LockHolder&) = delete;

 private:
  int m_fd = -1;
};

TEST_F(Scrape, SecondScrapeWaitsForTheFirst) {
  auto first = make_upstream("first");
  auto second = make_upstream("second");
  const fs::path gate = m_dir / "gate";
  const fs::path marker = m_dir / "first-started";
  // The first upload-pack (the first scrape's clone) takes a second.
  set_pack_hook("if mkdir '" + gate.string() + "' 2>/dev/null; then touch '" + marker.string() +
                "'; sleep 1; fi");
  std::vector<git::RepoOutcome> first_outcomes;
  Clock::time_point first_done;
  std::thread other([&] {
    first_outcomes = run({ref_for(first)});
    first_done = Clock::now();
  });
  auto deadline = Clock::now() + seconds(10);
  while (!fs::exists(marker) && Clock::now() < deadline)
    std::this_thread::sleep_for(milliseconds(10));
  auto second_outcomes = run({ref_for(second)});
  auto second_done = Clock::now();
  other.join();
  ASSERT_TRUE(fs::exists(marker));
  EXPECT_EQ(first_outcomes[0].kind, OutcomeKind::cloned) << first_outcomes[0].reason;
  EXPECT_EQ(second_outcomes[0].kind, OutcomeKind::cloned) << second_outcomes[0].reason;
  EXPECT_GE(second_done, first_done) << "the second scrape ran while the first held repos_dir";
}

TEST_F(Scrape, ScrapeWaitingForTheLockCanBeCancelled) {
  auto up = make_upstream("waiting");
  LockHolder held(repos_dir());
  std::stop_source cancel;
  std::thread canceller([&] {
    std::this_thread::sleep_for(milliseconds(300));
    cancel.request_stop();
  });
  auto start = Clock::now();
  auto outcomes = run({ref_for(up)}, 1, 2, cancel.get_token());
  canceller.join();
  EXPECT_LT(Clock::now() - start, seconds(5));
  EXPECT_EQ(outcomes[0].kind, OutcomeKind::cancelled) << outcomes[0].reason;
  EXPECT_THAT(outcomes[0].reason, HasSubstr("another git2dataset scrape"));
  EXPECT_FALSE(fs::exists(clone_of(ref_for(up))));
}

TEST_F(Scrape, ScrapeGivesUpWhenTheLockStaysTaken) {
  // Slow by nature: the wait is 10 seconds.
  auto up = make_upstream("given-up");
  LockHolder held(repos_dir());
  auto outcomes = run({ref_for(up)});
  EXPECT_EQ(outcomes[0].kind, OutcomeKind::failed);
  EXPECT_EQ(outcomes[0].reason, "another git2dataset scrape is running on " + repos_dir().string());
  EXPECT_FALSE(fs::exists(clone_of(ref_for(up))));
}

TEST_F(Scrape, ThrowingObserverDoesNotEndTheProcess) {
  auto up = make_upstream("observed");
  git::ScrapeOptions options;
  options.repos_dir = repos_dir();
  options.on_outcome = [](const git::RepoOutcome&) { throw std::runtime_error("observer broke"); };
  auto outcomes = git::scrape({ref_for(up)}, options);
  ASSERT_EQ(outcomes.size(), 1U);
  EXPECT_EQ(outcomes[0].kind, OutcomeKind::cloned) << outcomes[0].reason;
}

TEST_F(Scrape, HeadCommitOfANonRepositoryIsAnError) {
  EXPECT_FALSE(git::head_commit(m_dir.path()));
}

}  // namespace
}  // namespace g2d
