// Crash safety of `git2dataset prepare`: the real binary on the real tiny model is killed with
// SIGKILL at 20 random moments, resumed each time, and then run to the end. After every kill the
// database must be consistent (integrity_check ok, every done file has exactly its samples, no
// sample of a file that is not done); at the end every file is done exactly once, with no
// duplicate or orphan sample and no partial work left over.
//
// The seed is printed; G2D_CRASH_SEED=<n> replays a failing sequence.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <signal.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "support.hpp"
#include "sys/process.hpp"

namespace g2d {
namespace {

namespace fs = std::filesystem;

constexpr int kFiles = 16;  // enough that work remains for every kill
constexpr int kQuestions = 2;
constexpr int kKills = 20;

// The first column of every row of `sql`, as text.
std::vector<std::string> query(const fs::path& db, const std::string& sql) {
  sqlite3* c = nullptr;
  std::vector<std::string> rows;
  if (sqlite3_open_v2(db.c_str(), &c, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(c);
    ADD_FAILURE() << "cannot open " << db;
    return rows;
  }
  sqlite3_busy_timeout(c, 5000);
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(c, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(c);
  } else {
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      rows.emplace_back(text != nullptr ? reinterpret_cast<const char*>(text) : "");
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(c);
  return rows;
}

// "<done files>/<partial work rows>", or "" while the database cannot be read (not created yet,
// or being migrated): how far the pipeline got, polled while it runs.
std::string progress_marker(const fs::path& db) {
  sqlite3* c = nullptr;
  std::string marker;
  if (sqlite3_open_v2(db.c_str(), &c, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
    sqlite3_busy_timeout(c, 1000);
    sqlite3_stmt* stmt = nullptr;
    const char* sql =
        "SELECT (SELECT count(*) FROM FileHashes WHERE status = 'done') || '/' || "
        "(SELECT count(*) FROM PartialWork)";
    if (sqlite3_prepare_v2(c, sql, -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
      marker = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    sqlite3_finalize(stmt);
  }
  sqlite3_close(c);
  return marker;
}

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (test::tiny_model_path().empty())
      GTEST_SKIP() << "tiny model not installed; run scripts/setup.sh";
    test::write_file(ws / "git2dataset.yaml",
                     "llm:\n  model: " + test::tiny_model_path().string() +
                         "\n  threads: 1\n  questions_per_file: " + std::to_string(kQuestions) +
                         "\n  context_window: 2048\n  default_max_tokens: 40\n"
                         // Two steps: every file then keeps all its questions (pairs mode may
                         // keep fewer of the tiny model's, which the exact counts below cannot
                         // tell from lost work), and the kills are timed to its run's length.
                         // Pairs mode stores through the same hooks and resumes the same way.
                         "generation:\n  mode: two_step\n"
                         "pipeline:\n  repos_dir: repos\n  database: data/g2d.db\n"
                         "  max_concurrent_files: 2\n");
    fs::path repo = ws / "repos/github.com/o/r";
    fs::create_directories(repo);
    for (int i = 0; i < kFiles; ++i) {
      std::string n = std::to_string(i);
      test::write_file(repo / ("f" + n + ".c"),
                       "int scale" + n + "(int x) {\n  return x * " + n + " + 1;\n}\n");
    }
    auto git = [&](std::vector<std::string> args) {
      args.insert(args.begin(), {"git", "-C", repo.string()});
      auto r = sys::run_process(args);
      ASSERT_TRUE(r && r->exit_code == 0) << (r ? r->output : r.error().message);
    };
    git({"init", "-q"});
    git({"add", "-A"});
    git({"-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-qm", "init"});
  }

  std::vector<std::string> prepare_args() const {
    return {"prepare", "--config", (ws / "git2dataset.yaml").string()};
  }

  // What must hold after any crash.
  void expect_consistent(const std::string& when) {
    fs::path db = ws / "data/g2d.db";
    if (!fs::exists(db))
      return;  // killed before the database was created
    EXPECT_EQ(query(db, "PRAGMA integrity_check"), std::vector<std::string>{"ok"}) << when;
    // Every done file holds exactly its samples, all of its current version.
    auto bad_done = query(db,
                          "SELECT f.file_path FROM FileHashes f WHERE f.status = 'done' AND "
                          "(SELECT count(*) FROM TrainingSamples s WHERE s.file_path = f.file_path "
                          "AND s.retired = 0 AND s.file_hash = f.file_hash) <> " +
                              std::to_string(kQuestions));
    EXPECT_TRUE(bad_done.empty()) << when << ": " << testing::PrintToString(bad_done);
    // No live sample of a file that is not done, or of another version.
    auto orphans = query(db,
                         "SELECT s.id FROM TrainingSamples s LEFT JOIN FileHashes f "
                         "ON f.file_path = s.file_path WHERE s.retired = 0 AND "
                         "(f.status IS NOT 'done' OR f.file_hash <> s.file_hash)");
    EXPECT_TRUE(orphans.empty()) << when << ": " << testing::PrintToString(orphans);
    auto duplicates = query(db,
                            "SELECT file_path FROM TrainingSamples WHERE retired = 0 "
                            "GROUP BY file_path, question HAVING count(*) > 1");
    EXPECT_TRUE(duplicates.empty()) << when << ": " << testing::PrintToString(duplicates);
  }

  test::TempDir tmp;
  fs::path ws = tmp.path();
};

TEST_F(CrashTest, SigkillAtRandomMomentsLosesAtMostInFlightWork) {
  unsigned seed = std::random_device{}();
  if (const char* s = std::getenv("G2D_CRASH_SEED"))
    seed = static_cast<unsigned>(std::strtoul(s, nullptr, 10));
  std::mt19937 rng(seed);
  // Even kills: at a random time from start-up (discovery, loading the model) into generation.
  // Odd kills: a random moment just after the run has visibly progressed (a file committed), so
  // kills land while files are being generated and committed however fast or slow this machine is.
  // Progress is kept across kills.
  std::uniform_int_distribution<int> delay_ms(20, 3000);
  std::uniform_int_distribution<int> jitter_ms(0, 200);
  fs::path log = ws / "prepare.log";
  fs::path db = ws / "data/g2d.db";
  std::set<int> killed_running;
  int mid_generation = 0;  // kills that left some, but not all, work finished
  // Until 20 kills have hit a running prepare (a run that finds nothing left exits by itself).
  for (int kill_no = 0; static_cast<int>(killed_running.size()) < kKills && kill_no < 2 * kKills;
       ++kill_no) {
    bool after_progress = kill_no % 2 == 1;
    int delay = after_progress ? jitter_ms(rng) : delay_ms(rng);
    std::string before = progress_marker(db);
    std::vector<std::string> argv{test::git2dataset_exe().string()};
    for (const auto& a : prepare_args())
      argv.push_back(a);
    pid_t pid = test::spawn_logged(argv, log);
    ASSERT_GT(pid, 0) << "cannot start git2dataset";
    int status = 0;
    bool exited = false;
    if (after_progress) {
      auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
      while (progress_marker(db) == before && std::chrono::steady_clock::now() < deadline) {
        if (::waitpid(pid, &status, WNOHANG) == pid) {
          exited = true;
          break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
    if (!exited) {
      std::this_thread::sleep_for(std::chrono::milliseconds(delay));
      ::kill(pid, SIGKILL);
      ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    }
    if (WIFSIGNALED(status)) {
      ASSERT_EQ(WTERMSIG(status), SIGKILL) << "prepare died of another signal\n"
                                           << test::read_file(log);
      killed_running.insert(kill_no);
    } else {
      ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "prepare failed on its own\n"
                                                                 << test::read_file(log);
    }
    if (fs::exists(db)) {
      auto done = query(db, "SELECT count(*) FROM FileHashes WHERE status = 'done'");
      auto partial = query(db, "SELECT count(*) FROM PartialWork");
      if (!done.empty() && done[0] != std::to_string(kFiles) &&
          (done[0] != "0" || (!partial.empty() && partial[0] != "0")))
        ++mid_generation;
    }
    expect_consistent("seed " + std::to_string(seed) + ", kill " + std::to_string(kill_no) +
                      (after_progress ? " after progress + " : " after ") + std::to_string(delay) +
                      " ms");
    if (HasFailure())
      break;
  }
  RecordProperty("seed", std::to_string(seed));
  std::cout << "seed " << seed << ": " << killed_running.size() << " kills hit a running prepare, "
            << mid_generation << " with work partly done\n";
  EXPECT_EQ(killed_running.size(), static_cast<size_t>(kKills))
      << "20 kills must land while prepare runs, or the test proves little";
  EXPECT_GE(mid_generation, 1) << "no kill landed while files were being generated";

  auto last = test::run_git2dataset(prepare_args());
  ASSERT_EQ(last.exit_code, 0) << last.output << "\n--- earlier runs:\n" << test::read_file(log);
  expect_consistent("seed " + std::to_string(seed) + ", after the final run");
  EXPECT_EQ(query(db, "SELECT count(*) FROM FileHashes WHERE status = 'done'"),
            std::vector<std::string>{std::to_string(kFiles)});
  EXPECT_EQ(query(db, "SELECT count(*) FROM TrainingSamples WHERE retired = 0"),
            std::vector<std::string>{std::to_string(kFiles * kQuestions)});
  EXPECT_EQ(query(db, "SELECT count(*) FROM PartialWork"), std::vector<std::string>{"0"});
  EXPECT_EQ(query(db, "SELECT count(*) FROM FailedFiles"), std::vector<std::string>{"0"});

  // Done is done: another run has nothing to do.
  auto again = test::run_git2dataset(prepare_args());
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(query(db, "SELECT count(*) FROM TrainingSamples"),
            query(db, "SELECT count(*) FROM TrainingSamples WHERE retired = 0"))
      << "a run after the end retired samples: work was redone";
}

}  // namespace
}  // namespace g2d
