// The database's writers and the program's output, with the real binary: one prepare (or run, or
// retry) per database — a second is refused at once naming the holder, while the read-only
// commands go on; a read-only database stops prepare before any model call; a database path that
// is a directory is named as such; and standard output that cannot be written (/dev/full) fails
// the command whatever it is.
#include <filesystem>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http_test_server.hpp"
#include "store/store.hpp"
#include "support.hpp"
#include "sys/file_lock.hpp"
#include "sys/process.hpp"

namespace g2d {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

// A workspace with one repository of two C files, a database holding one sample, and an OpenAI
// compatible server that counts the model calls (and refuses each: 400, never retried).
class WriterCli : public ::testing::Test {
 protected:
  void SetUp() override {
    repo = ws / "repos/github.com/o/r";
    fs::create_directories(repo);
    git({"init", "-q"});
    test::write_file(repo / "a.c", "int a(void) { return 1; }\n");
    test::write_file(repo / "b.c", "int b(void) { return 2; }\n");
    git({"add", "-A"});
    git({"-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-qm", "init"});
    test::write_file(config, "llm:\n  backend: openai\n  base_url: " + server.url() +
                                 "\n  model: fake-model\n  max_retries: 1\n"
                                 "pipeline:\n  repos_dir: repos\n  database: data/g2d.db\n"
                                 "resources:\n  enable_battery_monitoring: false\n");
    auto db = store::open_sqlite(ws / "data/g2d.db");
    ASSERT_TRUE(db) << db.error().describe();
    store::FileRecord f;
    f.file_path = "github.com/o/x/old.c";
    f.repo = "github.com/o/x";
    f.file_hash = "h";
    store::SampleRecord s;
    s.file_path = f.file_path;
    s.question = "What does old do?";
    s.answer = "It is old.";
    s.code = "int old;\n";
    ASSERT_TRUE((*db)->commit_file(f, {s}));
  }

  void git(std::vector<std::string> args) {
    args.insert(args.begin(), {"git", "-C", repo.string()});
    auto r = sys::run_process(args);
    ASSERT_TRUE(r && r->exit_code == 0) << (r ? r->output : r.error().message);
  }

  sys::ProcessResult run(std::vector<std::string> args) {
    args.insert(args.end(), {"--config", config.string()});
    return test::run_git2dataset(std::move(args));
  }

  test::TempDir tmp;
  fs::path ws = tmp.path();
  fs::path repo;
  fs::path config = ws / "git2dataset.yaml";
  test::TestHttpServer server{[](const test::ReceivedRequest&) {
    return test::json_reply(400, R"({"error":{"message":"refused by the test"}})");
  }};
};

TEST_F(WriterCli, ASecondPrepareIsRefusedAtOnceNamingTheHolderWhileReadersGoOn) {
  // Another process (this test) holds the database's lock, as a running prepare does.
  auto held = sys::FileLock::try_lock(
      ws / "data/g2d.db.lock", "prepare (pid 4242 on build-host, since 2026-01-02 03:04:05 UTC)");
  ASSERT_TRUE(held) << held.error().message;
  for (const char* command : {"prepare", "run", "retry"}) {
    auto refused = run({command});
    EXPECT_EQ(refused.exit_code, 1) << command << ": " << refused.output;
    EXPECT_THAT(refused.output, HasSubstr("g2d.db is in use by another git2dataset: prepare (pid "
                                          "4242 on build-host, since 2026-01-02 03:04:05 UTC)"))
        << command;
  }
  EXPECT_TRUE(server.requests().empty()) << "a refused prepare called the model";
  // The read-only commands work beside it.
  auto dry = run({"prepare", "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.output;
  EXPECT_THAT(dry.output, HasSubstr("2 new"));
  auto status = run({"status"});
  EXPECT_EQ(status.exit_code, 0) << status.output;
  auto exported = run({"export", "--output", (ws / "d.jsonl").string()});
  EXPECT_EQ(exported.exit_code, 0) << exported.output;
  EXPECT_THAT(exported.output, HasSubstr("export: 1 sample"));
}

// The lock is the database file's, not the configured path's: a symlink to the same database
// meets the same lock.
TEST_F(WriterCli, ASecondPathToTheSameDatabaseMeetsTheSameLock) {
  auto held = sys::FileLock::try_lock(ws / "data/g2d.db.lock", "prepare (pid 4242 on build-host)");
  ASSERT_TRUE(held) << held.error().message;
  fs::create_symlink(ws / "data/g2d.db", ws / "other.db");
  auto refused = test::run_git2dataset(
      {"prepare", "--config", config.string(), "--database", (ws / "other.db").string()});
  EXPECT_EQ(refused.exit_code, 1) << refused.output;
  EXPECT_THAT(refused.output, HasSubstr("is in use by another git2dataset: prepare (pid 4242"));
  EXPECT_TRUE(server.requests().empty()) << "a refused prepare called the model";
}

TEST_F(WriterCli, APrepareTakesTheLockAndSaysWhoItIsAndAFinishedOneBlocksNobody) {
  auto first = run({"prepare"});
  EXPECT_EQ(first.exit_code, 1) << first.output;  // the server refuses every call
  const size_t calls = server.requests().size();
  EXPECT_GT(calls, 0u);
  EXPECT_THAT(test::read_file(ws / "data/g2d.db.lock"), HasSubstr("prepare (pid "));
  // The lock file stays behind; its holder is gone, so it holds nothing.
  auto second = run({"prepare"});
  EXPECT_THAT(second.output, Not(HasSubstr("in use by another git2dataset"))) << second.output;
  EXPECT_GT(server.requests().size(), calls) << "the second prepare did not get to work";
}

// The database file may not be written by whoever runs prepare. As root, permissions do not stop
// writes, so the command runs as an unprivileged user (setpriv); otherwise as this user.
TEST_F(WriterCli, AReadOnlyDatabaseStopsPrepareBeforeAnyModelCall) {
  fs::permissions(ws / "data/g2d.db",
                  fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  std::vector<std::string> argv{test::git2dataset_exe().string(), "prepare", "--config",
                                config.string()};
  if (geteuid() == 0) {
    // Readable (and its folder writable) by the unprivileged user; only the database is not.
    fs::permissions(ws, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                            fs::perms::others_read | fs::perms::others_exec);
    fs::permissions(ws / "data", fs::perms::all);
    argv.insert(argv.begin(), {"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"});
  }
  auto r = sys::run_process(argv);
  ASSERT_TRUE(r) << r.error().describe();
  EXPECT_EQ(r->exit_code, 1) << r->output;
  EXPECT_THAT(r->output, HasSubstr("g2d.db is read-only: this command writes to its database"));
  EXPECT_TRUE(server.requests().empty())
      << server.requests().size() << " model calls for a database that cannot store them";
}

TEST_F(WriterCli, ADatabasePathThatIsADirectoryIsNamedAsOne) {
  fs::remove_all(ws / "data");
  fs::create_directories(ws / "data/g2d.db");
  for (std::vector<std::string> args :
       {std::vector<std::string>{"status"}, {"export"}, {"prepare", "--dry-run"}, {"prepare"}}) {
    auto r = run(args);
    EXPECT_EQ(r.exit_code, 1) << args[0] << ": " << r.output;
    EXPECT_THAT(r.output, HasSubstr("g2d.db is a directory, not a database file")) << args[0];
    EXPECT_THAT(r.output, Not(HasSubstr("disk I/O error"))) << args[0];
  }
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(WriterCli, ReposPathsOfTheWrongKindAreNamed) {
  test::write_file(ws / "afile", "not a folder\n");
  fs::create_directories(ws / "adir");
  test::write_file(ws / "repos.txt", "https://github.com/o/r\n");
  test::write_file(ws / "list.yaml", "pipeline:\n  repos_file: adir\n");
  auto list = test::run_git2dataset({"scrape", "--config", (ws / "list.yaml").string()});
  EXPECT_EQ(list.exit_code, 1) << list.output;
  EXPECT_THAT(list.output, HasSubstr("adir: is a directory, not a repository list"));
  test::write_file(ws / "dir.yaml", "pipeline:\n  repos_dir: afile\n");
  const std::string dir_config = (ws / "dir.yaml").string();
  for (const auto& args :
       {std::vector<std::string>{"scrape", "--config", dir_config},
        std::vector<std::string>{"prepare", "--dry-run", "--config", dir_config}}) {
    auto r = test::run_git2dataset(args);
    EXPECT_EQ(r.exit_code, 1) << args[0] << ": " << r.output;
    EXPECT_THAT(r.output, HasSubstr("afile is not a directory")) << args[0];
  }
  EXPECT_EQ(test::read_file(ws / "afile"), "not a folder\n");
}

// Every command's standard output is checked once it is done: /dev/full takes nothing.
TEST_F(WriterCli, StandardOutputThatCannotBeWrittenFailsEveryCommand) {
  const std::string exe = test::git2dataset_exe().string();
  for (std::string command :
       {"status --json", "status", "prepare --dry-run", "config show", "--help", "--version"}) {
    auto r = sys::run_process({"sh", "-c", "exec \"$0\" " + command + " --config \"$1\" >/dev/full",
                               exe, config.string()});
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ(r->exit_code, 1) << command << ": " << r->output;
    EXPECT_THAT(r->output, HasSubstr("cannot write standard output: No space left on device"))
        << command;
  }
}

}  // namespace
}  // namespace g2d
