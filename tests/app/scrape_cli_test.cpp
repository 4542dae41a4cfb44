// `git2dataset scrape` end to end: the real binary, real git, bare upstream repositories in a
// temporary workspace.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <thread>

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
using std::chrono::milliseconds;
using std::chrono::seconds;

class ScrapeCli : public ::testing::Test {
 protected:
  ScrapeCli() {
    if (const char* old = std::getenv("GIT_CONFIG_GLOBAL"))
      m_old_global = old;
    setenv("GIT_CONFIG_GLOBAL", (m_dir / "gitconfig").c_str(), 1);
    setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
    set_global_config("");
    test::write_file(m_dir / "git2dataset.yaml", "pipeline:\n  scrape_jobs: 2\n");
  }
  ~ScrapeCli() override {
    if (m_old_global)
      setenv("GIT_CONFIG_GLOBAL", m_old_global->c_str(), 1);
    else
      unsetenv("GIT_CONFIG_GLOBAL");
  }
  ScrapeCli(const ScrapeCli&) = delete;
  ScrapeCli& operator=(const ScrapeCli&) = delete;

  void set_global_config(std::string_view extra) const {
    test::write_file(m_dir / "gitconfig", "[init]\n\tdefaultBranch = main\n" + std::string(extra));
  }

  static void git(const fs::path& cwd, std::vector<std::string> args) {
    args.insert(args.begin(), "git");
    sys::ProcessOptions options;
    options.cwd = cwd;
    options.env = {{"GIT_AUTHOR_NAME", "Test"},
                   {"GIT_AUTHOR_EMAIL", "test@example.com"},
                   {"GIT_COMMITTER_NAME", "Test"},
                   {"GIT_COMMITTER_EMAIL", "test@example.com"}};
    auto result = sys::run_process(args, options);
    if (!result || result->exit_code != 0)
      throw std::runtime_error("git " + args[1] + " failed");
  }

  // A bare repository with one commit; its path.
  fs::path make_upstream(const std::string& name) const {
    fs::path bare = m_dir / "upstream" / (name + ".git");
    fs::path work = m_dir / "work" / name;
    fs::create_directories(bare);
    git(bare, {"init", "--quiet", "--bare"});
    git(m_dir.path(), {"clone", "--quiet", "--", bare.string(), work.string()});
    test::write_file(work / "main.py", "print('" + name + "')\n");
    git(work, {"add", "main.py"});
    git(work, {"commit", "--quiet", "-m", "first"});
    git(work, {"push", "--quiet", "origin", "HEAD"});
    return bare;
  }

  sys::ProcessResult scrape(const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> args{"--config", (m_dir / "git2dataset.yaml").string(), "scrape"};
    args.insert(args.end(), extra.begin(), extra.end());
    return test::run_git2dataset(std::move(args));
  }

  // The clone directories under repos/_local (local-path repositories).
  std::vector<std::string> local_clones() const {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(m_dir / "repos" / "_local", ec))
      names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

  test::TempDir m_dir;
  std::optional<std::string> m_old_global;
};

TEST_F(ScrapeCli, ClonesEveryRepositoryAndReportsEach) {
  make_upstream("alpha");
  make_upstream("beta");
  test::write_file(m_dir / "repos.txt",
                   "# two local repositories\nupstream/alpha.git\nupstream/beta.git\n");
  auto result = scrape();
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("cloned    _local/alpha.git-"));
  EXPECT_THAT(result.output, HasSubstr("cloned    _local/beta.git-"));
  EXPECT_THAT(result.output, HasSubstr("scrape: 2 cloned (2 repositories)"));
  auto clones = local_clones();
  ASSERT_EQ(clones.size(), 2U);
  EXPECT_TRUE(fs::exists(m_dir / "repos" / "_local" / clones[0] / "main.py"));

  auto again = scrape();
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_THAT(again.output, HasSubstr("scrape: 2 unchanged (2 repositories)"));
}

TEST_F(ScrapeCli, HostileLinesAreRefusedAndNothingRuns) {
  make_upstream("good");
  const std::string x = (m_dir / "x").string();
  const std::string y = (m_dir / "y").string();
  const std::string z = (m_dir / "z").string();
  test::write_file(m_dir / "repos.txt",
                   "--upload-pack=touch " + x + "\n" +             // line 1
                       "ext::sh%20-c%20touch%20" + y + "\n" +      // line 2, one field
                       "upstream/good.git\n" +                     // line 3
                       "-c core.sshCommand=touch%20" + z + "\n" +  // line 4
                       "../../etc\n" +                             // line 5
                       "file:///etc\n");                           // line 6
  auto result = scrape();
  EXPECT_EQ(result.exit_code, 1) << result.output;
  const std::string repos_txt = (m_dir / "repos.txt").string();
  for (int line : {1, 2, 4, 6})
    EXPECT_THAT(result.output, HasSubstr(repos_txt + ":" + std::to_string(line) + ": refused"));
  // The ext:: line is a single field: refused by the transport check itself.
  EXPECT_THAT(result.output, HasSubstr(":2: refused `ext::sh%20-c%20touch%20" + y +
                                       "`: remote-helper transports"));
  // `../../etc` is a well-formed local path: git is asked for it, refuses it, and the clone
  // directory stays under repos/_local.
  EXPECT_THAT(result.output, HasSubstr("failed    _local/etc-"));
  EXPECT_THAT(result.output, HasSubstr("line 5: "));
  EXPECT_THAT(result.output, HasSubstr("cloned    _local/good.git-"));
  for (const auto& marker : {x, y, z})
    EXPECT_FALSE(fs::exists(marker)) << marker << " was created: a hostile line ran";
  EXPECT_EQ(local_clones().size(), 1U);
}

TEST_F(ScrapeCli, MissingReposFileSaysHowToStart) {
  auto result = scrape();
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr((m_dir / "repos.txt").string()));
  EXPECT_THAT(result.output, HasSubstr("git2dataset init"));
  EXPECT_FALSE(fs::exists(m_dir / "repos"));
}

TEST_F(ScrapeCli, InterruptDuringASlowCloneExits130AndLeavesNoHalfClone) {
  make_upstream("slow");
  test::write_file(m_dir / "repos.txt", "upstream/slow.git\n");
  const fs::path marker = m_dir / "hook-started";
  const fs::path hook = m_dir / "slow-pack-objects.sh";
  test::write_file(hook, "#!/bin/sh\ntouch '" + marker.string() + "'\nsleep 20\nexec \"$@\"\n");
  fs::permissions(hook, fs::perms::owner_all);
  set_global_config("[uploadpack]\n\tpackObjectsHook = " + hook.string() + "\n");

  const fs::path pid_file = m_dir / "git2dataset.pid";
  std::thread interrupter([&] {
    auto deadline = Clock::now() + seconds(15);
    while (!fs::exists(marker) && Clock::now() < deadline)
      std::this_thread::sleep_for(milliseconds(20));
    if (fs::exists(pid_file))
      kill(static_cast<pid_t>(std::stol(test::read_file(pid_file))), SIGINT);
  });
  auto start = Clock::now();
  // sh writes its pid, then becomes git2dataset (exec keeps the pid).
  auto result = sys::run_process({"sh", "-c", "echo $$ > \"$0\"; exec \"$@\"", pid_file.string(),
                                  test::git2dataset_exe().string(), "--config",
                                  (m_dir / "git2dataset.yaml").string(), "scrape"},
                                 sys::ProcessOptions{});
  interrupter.join();
  ASSERT_TRUE(result) << result.error().describe();
  EXPECT_LT(Clock::now() - start, seconds(10));
  EXPECT_TRUE(fs::exists(marker));
  EXPECT_EQ(result->exit_code, 130) << result->output;
  EXPECT_THAT(result->output, HasSubstr("cancelled"));
  EXPECT_THAT(result->output, Not(HasSubstr("cloned")));
  EXPECT_TRUE(local_clones().empty());
  EXPECT_FALSE(fs::exists(m_dir / "repos" / ".partial"));
}

}  // namespace
}  // namespace g2d
