// `git2dataset prepare --dry-run` end to end: a real git repository under repos_dir, a real
// database, the real binary; and a real prepare interrupted once or twice.
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <mutex>
#include <regex>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "http_test_server.hpp"
#include "store/migrations.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "support.hpp"
#include "sys/process.hpp"

namespace g2d {
namespace {

namespace fs = std::filesystem;
using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

// A planted secret: it must never reach the database.
constexpr const char* kPlanted = "Zq7vK2mX9pLw4Rt8";

class PrepareDryRun : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_file(ws / "git2dataset.yaml",
                     "pipeline:\n  repos_dir: repos\n  database: data/g2d.db\n"
                     "  max_file_bytes: 1000\n");
    repo = ws / "repos/github.com/o/r";
    fs::create_directories(repo);
    git({"init", "-q"});
    test::write_file(repo / "a.c", "int add(int a, int b) { return a + b; }\n");
    // A secret beside code the tiny model can ask about (a file of two assignments gave it
    // nothing to name once its questions were shaped by kind).
    test::write_file(repo / "b.py", std::string("b = 1\npassword = \"") + kPlanted +
                                        "\"\n\n\ndef greet(name):\n    return \"hi \" + name\n");
    test::write_file(repo / "README.md", "# r\n");
    test::write_file(repo / ".env", "TOKEN=secret\n");
    test::write_file(repo / "big.c", std::string(5000, 'x'));
    fs::create_directories(repo / "node_modules/m");
    test::write_file(repo / "node_modules/m/i.js", "x\n");
    git({"add", "-A"});
    git({"-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-qm", "init"});
  }

  void git(std::vector<std::string> args) {
    args.insert(args.begin(), {"git", "-C", repo.string()});
    auto r = sys::run_process(args);
    ASSERT_TRUE(r && r->exit_code == 0) << (r ? r->output : r.error().message);
  }

  sys::ProcessResult prepare(std::vector<std::string> extra = {"--dry-run"}) {
    std::vector<std::string> args{"prepare", "--config", (ws / "git2dataset.yaml").string()};
    args.insert(args.end(), extra.begin(), extra.end());
    return test::run_git2dataset(std::move(args));
  }

  test::TempDir tmp;
  fs::path ws = tmp.path();
  fs::path repo;
};

// git applies .gitignore to untracked files only: prepare asks git which files it tracks.
TEST_F(PrepareDryRun, ATrackedFileThatGitignoreMatchesIsTakenAnUntrackedOneIsSkipped) {
  test::write_file(repo / ".gitignore", "*.gen.c\n");
  test::write_file(repo / "forced.gen.c", "int forced;\n");
  test::write_file(repo / "loose.gen.c", "int loose;\n");
  git({"add", ".gitignore"});
  git({"add", "-f", "forced.gen.c"});
  git({"-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-qm", "forced"});
  auto r = prepare();
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("new        github.com/o/r/forced.gen.c"));
  EXPECT_THAT(r.output, HasSubstr("skipped    github.com/o/r/loose.gen.c  gitignored"));
}

TEST_F(PrepareDryRun, AMinifiedFileIsSkippedWithItsReason) {
  std::string minified;
  while (minified.size() < 1000)
    minified += "var a=function(b,c){return b+c};";
  minified.resize(1000);  // max_file_bytes here
  test::write_file(repo / "app.js", minified);
  auto r = prepare();
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("skipped    github.com/o/r/app.js  minified: longest line"));
  EXPECT_THAT(r.output, HasSubstr("minified 1"));
}

TEST_F(PrepareDryRun, ListsEveryFileWithItsFateAndTheTotalsWithoutTouchingTheDatabase) {
  auto r = prepare();
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("new        github.com/o/r/a.c"));
  EXPECT_THAT(r.output, HasSubstr("new        github.com/o/r/b.py"));
  EXPECT_THAT(r.output, HasSubstr("skipped    github.com/o/r/.env  sensitive"));
  EXPECT_THAT(r.output, HasSubstr("skipped    github.com/o/r/README.md  not_source"));
  EXPECT_THAT(r.output, HasSubstr("skipped    github.com/o/r/big.c  too_large"));
  EXPECT_THAT(r.output, HasSubstr("skipped    github.com/o/r/node_modules/  ignore_pattern"));
  EXPECT_THAT(r.output, HasSubstr("2 new, 0 changed, 0 unchanged, 0 retry, 0 deleted"));
  EXPECT_THAT(r.output, HasSubstr("skipped 4 (ignore_pattern 1, not_source 1, sensitive 1, "
                                  "too_large 1)"));
  EXPECT_FALSE(fs::exists(ws / "data/g2d.db")) << "a dry run must not create the database";
}

TEST_F(PrepareDryRun, ComparesWithTheStoredFileVersions) {
  {
    auto db = store::open_sqlite(ws / "data/g2d.db");
    ASSERT_TRUE(db) << db.error().describe();
    store::FileRecord a;
    a.file_path = "github.com/o/r/a.c";
    a.repo = "github.com/o/r";
    a.file_hash = "an older hash";
    store::SampleRecord s;
    s.file_path = a.file_path;
    s.question = "q?";
    s.answer = "a.";
    ASSERT_TRUE((*db)->commit_file(a, {s}));
    store::FileRecord gone = a;
    gone.file_path = "github.com/o/r/removed.c";
    s.file_path = gone.file_path;
    ASSERT_TRUE((*db)->commit_file(gone, {s}));
  }
  auto r = prepare();
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("changed    github.com/o/r/a.c  (content changed)"));
  EXPECT_THAT(r.output, HasSubstr("deleted    github.com/o/r/removed.c"));
  EXPECT_THAT(r.output, HasSubstr("1 new, 1 changed, 0 unchanged, 0 retry, 1 deleted"));
}

// An upgraded install's first dry run: the older database's schema is upgraded (as any prepare
// would), then compared as usual.
TEST_F(PrepareDryRun, ADatabaseOfAnOlderSchemaIsUpgradedFirst) {
  fs::create_directories(ws / "data");
  {
    auto raw = store::sqlite::Connection::open(ws / "data/g2d.db",
                                               SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(raw) << raw.error().describe();
    for (const auto& m : store::migrations()) {
      if (m.version <= 3) {
        ASSERT_TRUE(raw->exec("build an older schema", std::string(m.sql)));
      }
    }
    ASSERT_TRUE(raw->exec("mark it older", "PRAGMA user_version = 3"));
  }
  auto r = prepare();
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("its schema is upgraded first"));
  EXPECT_THAT(r.output, HasSubstr("2 new, 0 changed, 0 unchanged, 0 retry, 0 deleted"));
  auto db = store::open_sqlite(ws / "data/g2d.db", store::OpenMode::read_only);
  ASSERT_TRUE(db) << db.error().describe();
  EXPECT_EQ((*db)->schema_version(), store::latest_schema_version());
}

TEST_F(PrepareDryRun, ANameWithANewlineCannotForgeALine) {
  test::write_file(repo / "x\nnew        forged.c", "int x;\n");
  auto r = prepare();
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("github.com/o/r/x\\nnew        forged.c  bad_name"));
  EXPECT_THAT(r.output, Not(HasSubstr("\nnew        forged.c")));
}

TEST_F(PrepareDryRun, TerminalControlCharactersInNamesAreEscaped) {
  test::write_file(repo / "x\xC2\x85new        forged.c", "int x;\n");  // U+0085 NEL
  test::write_file(repo / "y\x1b]0;title\x07.c", "int y;\n");           // an OSC sequence
  auto r = prepare();
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("github.com/o/r/x\\u{0085}new        forged.c  bad_name"));
  EXPECT_THAT(r.output, HasSubstr("github.com/o/r/y\\x1b]0;title\\x07.c  bad_name"));
  EXPECT_THAT(r.output, Not(HasSubstr("\x1b")));
  EXPECT_THAT(r.output, Not(HasSubstr("\xC2\x85")));
}

TEST_F(PrepareDryRun, NoRepositoriesIsAClearMessage) {
  fs::remove_all(ws / "repos");
  auto r = prepare();
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("no repositories"));
  EXPECT_THAT(r.output, HasSubstr("git2dataset scrape"));
}

// The whole pipeline on the real tiny model: samples for every file; a re-run touches nothing
// (the model is not even loaded); an edited file alone is regenerated; a deleted file's samples
// are retired.
TEST_F(PrepareDryRun, GeneratesOnceThenOnlyWhatChanged) {
  if (test::tiny_model_path().empty())
    GTEST_SKIP() << "tiny model not installed; run scripts/setup.sh";
  // One file at a time: each questions call is then alone in its batch, so at temperature 0 the
  // tiny model writes the same questions on every run and machine (two files in flight share
  // batches in an order the scheduler picks, and a.c's only question was sometimes unusable).
  test::write_file(ws / "git2dataset.yaml",
                   "llm:\n  model: " + test::tiny_model_path().string() +
                       "\n  threads: 1\n  questions_per_file: 2\n  context_window: 2048\n"
                       "  default_max_tokens: 120\n  temperature: 0\n"
                       "pipeline:\n  repos_dir: repos\n  database: data/g2d.db\n"
                       "  max_file_bytes: 1000\n  max_concurrent_files: 1\n");
  auto first = prepare({});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  // A unit keeps only the questions that are real questions about its code: the tiny model
  // writes one or two per file.
  std::smatch counted;
  ASSERT_TRUE(std::regex_search(first.output, counted,
                                std::regex(R"(prepare: 2 done \(([0-9]+) samples\), 0 failed)")))
      << first.output;
  const int stored = std::stoi(counted[1]);
  EXPECT_GE(stored, 2);
  EXPECT_LE(stored, 4);
  EXPECT_THAT(first.output, ContainsRegex("done       github.com/o/r/a.c  [12] samples?"));
  EXPECT_THAT(first.output, ContainsRegex("b.py  [12] samples?"));
  const std::string rows = ":" + std::to_string(stored);
  EXPECT_THAT(first.output, HasSubstr("1 secret redacted"));
  EXPECT_THAT(first.output, Not(HasSubstr(kPlanted)));
  std::vector<std::string> consumer_checks;
  for (const char* format : {"alpaca", "sharegpt", "openai", "chatml", "raw"}) {
    // Every format holds every stored sample with its code, and never the planted secret.
    fs::path out = ws / (std::string(format) + ".jsonl");
    consumer_checks.insert(
        consumer_checks.end(),
        {"--check", std::string(format) +
                        (std::string_view(format) == "raw" ? rows : rows + ":code") + "=" +
                        out.string()});
    auto exported =
        test::run_git2dataset({"export", "--format", format, "--include-flagged", "--output",
                               out.string(), "--config", (ws / "git2dataset.yaml").string()});
    ASSERT_EQ(exported.exit_code, 0) << exported.output;
    std::string text = test::read_file(out);
    EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), stored) << format;
    EXPECT_THAT(text, HasSubstr("password = ")) << format;  // b.py's code, redacted
    EXPECT_THAT(text, Not(HasSubstr(kPlanted))) << format;
  }
  // Hugging Face `datasets` loads each file as a trainer would: the fields it reads, roles that
  // alternate (system, then user/assistant ending with the assistant), the code in the first
  // user turn, every value as written.
  std::string consumer_skip;
  if (fs::path python = test::datasets_python(); !python.empty()) {
    std::vector<std::string> argv = {python.string(), G2D_CHECK_DATASET};
    argv.insert(argv.end(), consumer_checks.begin(), consumer_checks.end());
    auto checked = sys::run_process(argv);
    ASSERT_TRUE(checked) << checked.error().describe();
    EXPECT_EQ(checked->exit_code, 0) << checked->output;
    for (const char* format : {"alpaca", "sharegpt", "openai", "chatml", "raw"})
      EXPECT_THAT(checked->output,
                  HasSubstr(std::string("ok ") + format + " " + std::to_string(stored) + " rows"));
  } else {
    consumer_skip = "the datasets venv is not set up (scripts/setup.sh --with-datasets)";
  }
  {  // status reads what the run recorded
    auto st =
        test::run_git2dataset({"status", "--json", "--config", (ws / "git2dataset.yaml").string()});
    ASSERT_EQ(st.exit_code, 0) << st.output;
    auto j = nlohmann::json::parse(st.output);
    EXPECT_EQ(j["files"]["done"], 2);
    EXPECT_EQ(j["samples"]["live"], stored);
    EXPECT_EQ(j["last_run"]["state"], "finished");
    EXPECT_EQ(j["last_run"]["done"], 2);
    EXPECT_EQ(j["skipped"]["sensitive"], 1);
    EXPECT_EQ(j["skipped"]["too_large"], 1);
  }

  auto samples_of = [&](const std::string& path) {
    auto db = store::open_sqlite(ws / "data/g2d.db", store::OpenMode::read_only);
    std::vector<std::int64_t> ids;
    EXPECT_TRUE(db) << db.error().describe();
    if (!db)
      return ids;
    auto status = (*db)->for_each_sample([&](const store::SampleRecord& s) -> Status {
      EXPECT_THAT(s.question + s.answer + s.code, Not(HasSubstr(kPlanted)));
      if (s.file_path.ends_with("b.py")) {  // the code is kept with its samples, redacted
        EXPECT_THAT(s.code, HasSubstr("b = 1\npassword = "));
      }
      EXPECT_FALSE(s.question.empty());
      EXPECT_FALSE(s.answer.empty());
      if (s.file_path == path)
        ids.push_back(s.id);
      return {};
    });
    EXPECT_TRUE(status);
    return ids;
  };
  auto a_ids = samples_of("github.com/o/r/a.c");
  auto b_ids = samples_of("github.com/o/r/b.py");
  EXPECT_FALSE(a_ids.empty());
  EXPECT_FALSE(b_ids.empty());
  EXPECT_EQ(static_cast<int>(a_ids.size() + b_ids.size()), stored);

  auto again = prepare({});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_THAT(again.output, HasSubstr("prepare: 0 done (0 samples), 0 failed, 0 skipped, 2 "
                                      "unchanged"));
  EXPECT_THAT(again.output, Not(HasSubstr("loaded"))) << "no LLM call for unchanged files";

  test::write_file(
      repo / "a.c",
      "int add(int a, int b) { return a + b; }\nint sub(int a, int b) { return a - b; }\n");
  auto edited = prepare({});
  ASSERT_EQ(edited.exit_code, 0) << edited.output;
  // The edited file is generated again (the tiny model may keep no question about the new code:
  // a unit without a usable question stores nothing) and its old samples are gone.
  EXPECT_THAT(edited.output, ContainsRegex("prepare: 1 done \\([0-9]+ samples?\\), 0 failed"));
  EXPECT_THAT(edited.output, HasSubstr("done       github.com/o/r/a.c"));
  EXPECT_THAT(edited.output, Not(HasSubstr("done       github.com/o/r/b.py")));
  EXPECT_EQ(samples_of("github.com/o/r/b.py"), b_ids);  // untouched
  auto new_a = samples_of("github.com/o/r/a.c");
  for (std::int64_t id : new_a)
    EXPECT_EQ(std::count(a_ids.begin(), a_ids.end(), id), 0) << "sample " << id << " kept";

  fs::remove(repo / "b.py");
  auto deleted = prepare({});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.output;
  EXPECT_THAT(deleted.output, HasSubstr("1 retired"));
  EXPECT_TRUE(samples_of("github.com/o/r/b.py").empty());
  EXPECT_EQ(samples_of("github.com/o/r/a.c"), new_a);
  if (!consumer_skip.empty())
    GTEST_SKIP() << "everything but the consumer check passed: " << consumer_skip;
}

// Ctrl-C during a real prepare (the real binary, an OpenAI-compatible test server that holds the
// first model call until the test lets it go): the first interruption takes no new file and lets
// the one in flight end, the second abandons it; either way the exit code is 130.
class PrepareInterrupted : public ::testing::Test {
 protected:
  void SetUp() override {
    repo = ws / "repos/github.com/o/r";
    fs::create_directories(repo);
    test::write_file(repo / "a.c", "int a(void) { return 1; }\n");
    test::write_file(repo / "b.c", "int b(void) { return 2; }\n");
    ASSERT_EQ(test::commit_all(repo), "");
    test::write_file(ws / "git2dataset.yaml",
                     "llm:\n  backend: openai\n  base_url: " + server.url() +
                         "\n  model: fake-model\n  max_retries: 1\n"
                         "pipeline:\n  repos_dir: repos\n  database: data/g2d.db\n"
                         "  max_concurrent_files: 1\n"
                         "resources:\n  enable_battery_monitoring: false\n");
  }

  void TearDown() override { release(); }

  // Lets the held model calls go: each is refused (400, never retried), so its file fails.
  void release() {
    std::lock_guard lock(m_mutex);
    m_released = true;
    m_changed.notify_all();
  }

  // Starts prepare in the background, its output going to `log`; returns its pid once the first
  // model call is held by the server.
  pid_t start_prepare() {
    pid_t pid = test::spawn_logged({test::git2dataset_exe().string(), "prepare", "--config",
                                    (ws / "git2dataset.yaml").string()},
                                   log, false);
    EXPECT_GT(pid, 0);
    std::unique_lock lock(m_mutex);
    EXPECT_TRUE(m_changed.wait_for(lock, std::chrono::seconds(30), [this] { return m_calls > 0; }))
        << test::read_file(log);
    return pid;
  }

  // Waits (looking every 20 ms, for at most 30 s) until the log holds `text`.
  bool log_says(const std::string& text) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      if (fs::exists(log) && test::read_file(log).find(text) != std::string::npos)
        return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }

  // Its exit code (128 + the signal that killed it); -1 when it still runs after 30 s (then it is
  // killed: a run that ignored the interruption).
  static int exit_code_of(pid_t pid) {
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    pid_t done = 0;
    while ((done = waitpid(pid, &status, WNOHANG)) == 0 &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (done != pid) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  int calls() {
    std::lock_guard lock(m_mutex);
    return m_calls;
  }

  test::TempDir tmp;
  fs::path ws = tmp.path();
  fs::path repo;
  fs::path log = ws / "prepare.log";
  std::mutex m_mutex;
  std::condition_variable m_changed;
  int m_calls = 0;  // model calls received (guarded by m_mutex)
  bool m_released = false;
  // Last: its connection threads use the members above until it is destroyed.
  test::TestHttpServer server{[this](const test::ReceivedRequest& r) {
    if (r.target == "/v1/models")
      return test::json_reply(200, R"({"object":"list","data":[{"id":"fake-model"}]})");
    if (r.target != "/v1/chat/completions")
      return test::json_reply(404, R"({"error":"not found"})");
    std::unique_lock lock(m_mutex);
    ++m_calls;
    m_changed.notify_all();
    m_changed.wait(lock, [this] { return m_released; });
    return test::json_reply(400, R"({"error":{"message":"refused by the test"}})");
  }};
};

TEST_F(PrepareInterrupted, TheFirstInterruptFinishesTheFileInFlightAndTakesNoOther) {
  pid_t pid = start_prepare();
  ASSERT_EQ(kill(pid, SIGINT), 0);
  ASSERT_TRUE(log_says("interrupted: finishing")) << test::read_file(log);
  release();
  EXPECT_EQ(exit_code_of(pid), 130) << test::read_file(log);
  const std::string output = test::read_file(log);
  EXPECT_THAT(output, HasSubstr("0 done (0 samples), 1 failed"));
  EXPECT_THAT(output, HasSubstr("stopped early"));
  EXPECT_EQ(calls(), 1) << "a file was taken after the interruption";
}

TEST_F(PrepareInterrupted, TheSecondInterruptAbandonsTheFileInFlight) {
  pid_t pid = start_prepare();
  ASSERT_EQ(kill(pid, SIGINT), 0);
  ASSERT_TRUE(log_says("interrupted: finishing")) << test::read_file(log);
  ASSERT_EQ(kill(pid, SIGINT), 0);
  // The held call is never let go: only the abandon can end the run.
  EXPECT_EQ(exit_code_of(pid), 130) << test::read_file(log);
  const std::string output = test::read_file(log);
  EXPECT_THAT(output, HasSubstr("abandoning"));
  EXPECT_THAT(output, HasSubstr("0 done (0 samples)"));
  EXPECT_THAT(output, HasSubstr("stopped early"));
  EXPECT_EQ(calls(), 1);
}

}  // namespace
}  // namespace g2d
