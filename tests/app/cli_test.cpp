// The git2dataset binary end to end: exit codes, messages and files, in temporary directories.
#include <cstdlib>
#include <sys/stat.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "support.hpp"
#include "sys/process.hpp"

namespace g2d {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

sys::ProcessResult cli(std::vector<std::string> args) {
  return test::run_git2dataset(std::move(args));
}

class CliTest : public ::testing::Test {
 protected:
  std::string config_path() const { return (m_dir / "git2dataset.yaml").string(); }
  void write_config(std::string_view yaml) const {
    test::write_file(m_dir / "git2dataset.yaml", yaml);
  }
  test::TempDir m_dir;
};

TEST_F(CliTest, VersionAndHelp) {
  auto version = cli({"--version"});
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_THAT(version.output, HasSubstr("git2dataset 0."));
  auto help = cli({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* command : {"init", "config", "doctor"})
    EXPECT_THAT(help.output, HasSubstr(command));
  auto sub_help = cli({"config", "validate", "--help"});
  EXPECT_EQ(sub_help.exit_code, 0);
  EXPECT_THAT(sub_help.output, HasSubstr("FILE"));
}

TEST_F(CliTest, UsageErrorsExitTwo) {
  EXPECT_EQ(cli({}).exit_code, 2);
  EXPECT_EQ(cli({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(cli({"doctor", "--no-such-flag"}).exit_code, 2);
  auto bad_set = cli({"--set", "nonsense", "config", "show"});
  EXPECT_EQ(bad_set.exit_code, 2);
  EXPECT_THAT(bad_set.output, HasSubstr("KEY=VALUE"));
}

TEST_F(CliTest, GlobalOptionsWorkAfterTheSubcommand) {
  write_config("llm:\n  temperature: 0.7\n");
  auto result =
      cli({"config", "show", "-q", "--config", config_path(), "--set", "llm.seed_like=1"});
  EXPECT_EQ(result.exit_code, 2) << result.output;  // reached config loading: unknown key
  EXPECT_THAT(result.output, HasSubstr("llm.seed_like"));
  auto ok = cli({"config", "show", "--config", config_path()});
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_THAT(ok.output, HasSubstr("temperature: 0.7"));
}

// PostgreSQL is not in this build: the configuration says so (`config validate` as every command
// that loads it), naming the key and the file, never the URL (it may hold a password); nothing is
// created locally — no database, log or lock file named after the URL.
TEST_F(CliTest, APostgresUrlIsRefusedByTheConfigurationAndCreatesNothingLocally) {
  write_config("pipeline:\n  database: postgresql://user:secret@db.example/g2d\n");
  for (const auto& command : {std::vector<std::string>{"config", "validate", config_path()},
                              std::vector<std::string>{"--config", config_path(), "doctor"},
                              std::vector<std::string>{"--config", config_path(), "status"}}) {
    auto result = cli(command);
    EXPECT_EQ(result.exit_code, 2) << result.output;
    EXPECT_THAT(result.output, HasSubstr(config_path() + ": pipeline.database: expected a SQLite "
                                                         "file path (PostgreSQL is not supported "
                                                         "yet), got a postgresql:// URL (line 2)"));
    EXPECT_THAT(result.output, Not(HasSubstr("secret")));
  }
  EXPECT_FALSE(fs::exists(m_dir / "postgresql:"));
  EXPECT_FALSE(fs::exists(fs::current_path() / "postgresql:"));
  EXPECT_FALSE(fs::exists(m_dir / "git2dataset.log"));
}

TEST_F(CliTest, InitWritesFilesAndRefusesToOverwrite) {
  auto first = cli({"init", "--dir", m_dir.path().string()});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  ASSERT_TRUE(fs::exists(m_dir / "git2dataset.yaml"));
  ASSERT_TRUE(fs::exists(m_dir / "repos.txt"));
  test::write_file(m_dir / "repos.txt", "mine\n");
  auto second = cli({"init", "--dir", m_dir.path().string()});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_THAT(second.output, HasSubstr("already exists"));
  EXPECT_EQ(test::read_file(m_dir / "repos.txt"), "mine\n");  // nothing overwritten
}

TEST_F(CliTest, InitThenValidateSucceeds) {
  ASSERT_EQ(cli({"init", "--dir", m_dir.path().string()}).exit_code, 0);
  auto validate = cli({"config", "validate", config_path()});
  EXPECT_EQ(validate.exit_code, 0) << validate.output;
  EXPECT_THAT(validate.output, HasSubstr("valid"));
}

TEST_F(CliTest, ValidateNamesKeyLineAndExpectation) {
  write_config("llm:\n  backend: llama_cpp\n  max_retries: 3\n  context_window: big\n");
  auto result = cli({"config", "validate", config_path()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.output, HasSubstr("llm.context_window"));
  EXPECT_THAT(result.output, HasSubstr("line 4"));
  EXPECT_THAT(result.output, HasSubstr("\"big\""));
  EXPECT_THAT(result.output, HasSubstr("integer"));
}

TEST_F(CliTest, ValidateNamesUnknownKey) {
  write_config("pipeline:\n  max_concurent_files: 2\n");
  auto result = cli({"--config", config_path(), "config", "validate"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.output, HasSubstr("pipeline.max_concurent_files"));
  EXPECT_THAT(result.output, HasSubstr("max_concurrent_files"));
}

TEST_F(CliTest, ValidateMissingFileIsAUsageError) {
  auto result = cli({"config", "validate", (m_dir / "absent.yaml").string()});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.output, HasSubstr("absent.yaml"));
}

// Hostile configuration files end every command that loads them at once, with a usage error that
// names what was wrong: before, a FIFO blocked forever, /dev/zero was read until memory ran out,
// and an alias bomb took gigabytes and ended in std::bad_alloc.
TEST_F(CliTest, HostileConfigurationFilesAreUsageErrors) {
  const auto fifo = m_dir / "config.fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto from_fifo = cli({"--config", fifo.string(), "config", "show"});
  EXPECT_EQ(from_fifo.exit_code, 2) << from_fifo.output;
  EXPECT_THAT(from_fifo.output, HasSubstr("is a FIFO (named pipe), not a configuration file"));
  auto from_zero = cli({"config", "validate", "/dev/zero"});
  EXPECT_EQ(from_zero.exit_code, 2) << from_zero.output;
  EXPECT_THAT(from_zero.output, HasSubstr("/dev/zero: is a character device"));
  std::string bomb = "llm:\n  model:\n    - &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n";
  for (char name = 'b'; name <= 'i'; ++name) {
    bomb += std::string("    - &") + name + " [";
    for (int i = 0; i < 9; ++i)
      bomb += std::string(i == 0 ? "*" : ", *") + static_cast<char>(name - 1);
    bomb += "]\n";
  }
  write_config(bomb);
  for (const char* command : {"doctor", "status"}) {
    auto result = cli({"--config", config_path(), command});
    EXPECT_EQ(result.exit_code, 2) << result.output;
    EXPECT_THAT(result.output, HasSubstr("aliases expand the document past 100000 values"));
    EXPECT_THAT(result.output, HasSubstr("(line 8, column"));
  }
}

TEST_F(CliTest, ShowReportsWhereEachValueCameFrom) {
  write_config("llm:\n  temperature: 0.7\n");
  setenv("GIT2DATASET_LLM_QUESTIONS_PER_FILE", "7", 1);
  auto result = cli(
      {"--config", config_path(), "--set", "pipeline.max_concurrent_files=3", "config", "show"});
  unsetenv("GIT2DATASET_LLM_QUESTIONS_PER_FILE");
  ASSERT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("temperature: 0.7"));
  EXPECT_THAT(result.output, HasSubstr("git2dataset.yaml:2"));
  EXPECT_THAT(result.output, HasSubstr("questions_per_file: 7"));
  EXPECT_THAT(result.output, HasSubstr("GIT2DATASET_LLM_QUESTIONS_PER_FILE"));
  EXPECT_THAT(result.output, HasSubstr("max_concurrent_files: 3"));
  EXPECT_THAT(result.output, HasSubstr("--set"));
}

TEST_F(CliTest, BadEnvironmentValueIsAConfigError) {
  setenv("GIT2DATASET_LLM_CONTEXT_WINDOW", "huge", 1);
  auto result = cli({"config", "show"});
  unsetenv("GIT2DATASET_LLM_CONTEXT_WINDOW");
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.output, HasSubstr("GIT2DATASET_LLM_CONTEXT_WINDOW"));
}

TEST_F(CliTest, DoctorPassesWithTheDefaultModel) {
  if (test::tiny_model_path().empty())
    GTEST_SKIP() << "tiny model not installed; run scripts/setup.sh";
  write_config("llm:\n  model: " + test::tiny_model_path().string() +
               "\n  context_window: 1024\n  threads: 1\npipeline:\n  max_concurrent_files: 1\n");
  auto result = cli({"--config", config_path(), "doctor"});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output, HasSubstr("ok    git: git version"));
  EXPECT_THAT(result.output, HasSubstr("ok    model:"));
  EXPECT_THAT(result.output, HasSubstr("1024 tokens per request"));
  EXPECT_THAT(result.output, HasSubstr("ok    generation: schema-valid JSON"));
  // The question it got is shown, with the pipeline's verdict on it when it would be refused.
  EXPECT_THAT(result.output, testing::ContainsRegex("generation: .* tokens in .* s: \"[A-Z]"));
  EXPECT_THAT(result.output, HasSubstr("will be created"));
  EXPECT_THAT(result.output, Not(HasSubstr("FAIL")));
  EXPECT_FALSE(fs::exists(m_dir / "git2dataset.db"));  // doctor does not create the database
  // The log file beside the database received the engine's log.
  ASSERT_TRUE(fs::exists(m_dir / "git2dataset.log"));
  EXPECT_THAT(test::read_file(m_dir / "git2dataset.log"), HasSubstr("loaded"));
}

// A database from an older git2dataset is upgraded by the next command that writes to it: doctor,
// which only reads, says so instead of failing (an upgraded install's first `doctor`).
TEST_F(CliTest, DoctorWarnsThatAnOlderDatabaseIsUpgradedByTheNextRun) {
  write_config("llm:\n  model: " + (m_dir / "nope.gguf").string() + "\n");
  {
    auto db = store::open_sqlite(m_dir / "git2dataset.db");
    ASSERT_TRUE(db) << db.error().describe();
  }
  {
    auto raw = store::sqlite::Connection::open(m_dir / "git2dataset.db", SQLITE_OPEN_READWRITE);
    ASSERT_TRUE(raw) << raw.error().describe();
    ASSERT_TRUE(raw->exec("make the database look older", "PRAGMA user_version = 3"));
  }
  auto result = cli({"--config", config_path(), "doctor"});
  EXPECT_THAT(result.output, HasSubstr("warn  database"));
  EXPECT_THAT(result.output, HasSubstr("the next prepare or run upgrades it"));
  EXPECT_THAT(result.output, Not(HasSubstr("FAIL  database")));
}

TEST_F(CliTest, DoctorFailsOnAMissingModel) {
  write_config("llm:\n  model: " + (m_dir / "nope.gguf").string() + "\n");
  auto result = cli({"--config", config_path(), "doctor"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_THAT(result.output, HasSubstr("FAIL  model"));
  EXPECT_THAT(result.output, HasSubstr("nope.gguf"));
}

}  // namespace
}  // namespace g2d
