// git::scrape against real git: bare "upstream" repositories in temporary directories, cloned and
// updated through the local-path transport (and a loopback HTTP server for credentials).
#include "git/scrape.hpp"

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

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

// Sets an environment variable for one test and restores it afterwards.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : m_name(name) {
    if (const char* old = std::getenv(name))
      m_old = old;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (m_old)
      setenv(m_name, m_old->c_str(), 1);
    else
      unsetenv(m_name);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* m_name;
  std::optional<std::string> m_old;
};

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
                                    int jobs = 2, const std::atomic<bool>* cancel = nullptr) const {
    git::ScrapeOptions options;
    options.repos_dir = repos_dir();
    options.depth = depth;
    options.jobs = jobs;
    options.cancel = cancel;
    return git::scrape(repos, options);
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

  std::atomic<bool> cancel{false};
  std::thread canceller([&] {
    auto deadline = Clock::now() + seconds(15);
    while (!fs::exists(marker) && Clock::now() < deadline)
      std::this_thread::sleep_for(milliseconds(20));
    cancel.store(true);
  });
  auto start = Clock::now();
  auto outcomes = run({ref_for(slow), ref_for(later)}, 1, 1, &cancel);
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

// Answers every HTTP request with 401 and counts them; stops with the object.
class UnauthorizedServer {
 public:
  UnauthorizedServer() {
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
  ~UnauthorizedServer() {
    m_stop.store(true);
    m_thread.join();
    close(m_fd);
  }
  UnauthorizedServer(const UnauthorizedServer&) = delete;
  UnauthorizedServer& operator=(const UnauthorizedServer&) = delete;

  int port() const { return m_port; }
  int requests() const { return m_requests.load(); }

 private:
  void serve() {
    while (!m_stop.load()) {
      pollfd pfd{m_fd, POLLIN, 0};
      if (poll(&pfd, 1, 50) <= 0)
        continue;
      int client = accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC);
      if (client < 0)
        continue;
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
      close(client);
    }
  }

  int m_fd = -1;
  int m_port = 0;
  std::atomic<bool> m_stop{false};
  std::atomic<int> m_requests{0};
  std::thread m_thread;
};

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

TEST_F(Scrape, HeadCommitOfANonRepositoryIsAnError) {
  EXPECT_FALSE(git::head_commit(m_dir.path()));
}

}  // namespace
}  // namespace g2d
