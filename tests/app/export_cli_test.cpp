// `git2dataset export` on a database filled through the store (no model needed): the file, its
// summary, standard output holding nothing but the dataset, and bad input refused by name.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/stat.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "store/store.hpp"
#include "support.hpp"

namespace g2d {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

class ExportCli : public ::testing::Test {
 protected:
  void SetUp() override {
    test::write_file(ws / "git2dataset.yaml", "pipeline:\n  database: data/g2d.db\n");
    auto db = store::open_sqlite(ws / "data/g2d.db");
    ASSERT_TRUE(db) << db.error().describe();
    for (const std::string repo : {"github.com/o/a", "github.com/o/b"}) {
      store::FileRecord f;
      f.file_path = repo + "/x.c";
      f.repo = repo;
      f.commit_sha = "c0ffee";
      f.file_hash = "h";
      f.language = "c";
      f.settings_fingerprint = "fp";
      std::vector<store::SampleRecord> samples(2);
      for (size_t i = 0; i < samples.size(); ++i) {
        auto& s = samples[i];
        s.file_path = f.file_path;
        s.question = "What does x" + std::to_string(i) + " do in " + repo + "?";
        s.answer = "`x" + std::to_string(i) + "` returns \"ünïcode\" \\ and more.";
        s.repo_url = "https://" + repo;
        s.code = "int x" + std::to_string(i) + "(void) { return 0; }\n";
        s.quality_flags = i == 1 && repo.ends_with("b") ? "truncated" : "";
      }
      ASSERT_TRUE((*db)->commit_file(f, samples));
    }
  }

  sys::ProcessResult run(std::vector<std::string> args) {
    args.insert(args.end(), {"--config", (ws / "git2dataset.yaml").string()});
    return test::run_git2dataset(args);
  }

  test::TempDir tmp;
  fs::path ws = tmp.path();
};

TEST_F(ExportCli, WritesTheFileAndSaysWhatItLeftOut) {
  fs::path out = ws / "out/ds.jsonl";
  auto r = run({"export", "--format", "sharegpt", "--output", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("export: 3 samples to " + out.string() + " (sharegpt)"));
  EXPECT_THAT(r.output, HasSubstr("left out 1 (1 truncated)"));
  std::ifstream in(out);
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    auto j = nlohmann::json::parse(line);
    ASSERT_EQ(j["conversations"].size(), 3u);
    EXPECT_EQ(j["conversations"][0]["from"], "system");
    EXPECT_THAT(j["conversations"][1]["value"].get<std::string>(), HasSubstr("```c\nint x"));
    EXPECT_THAT(j["conversations"][2]["value"].get<std::string>(),
                HasSubstr("` returns \"ünïcode\" \\ and more."));
  }
  EXPECT_EQ(lines, 3);
}

TEST_F(ExportCli, StandardOutputHoldsOnlyTheDataset) {
  auto r = run({"export", "--output", "-", "--no-code", "--system-prompt", "", "-q"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::istringstream in(r.output);
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    auto j = nlohmann::json::parse(line);  // every line is a sample, nothing else
    ASSERT_EQ(j["messages"].size(), 2u);
    EXPECT_EQ(j["messages"][0]["role"], "user");
    EXPECT_THAT(j["messages"][0]["content"].get<std::string>(), Not(HasSubstr("```")));
  }
  EXPECT_EQ(lines, 3);
}

TEST_F(ExportCli, TheSplitWritesTheValidationFileBesideTheOutput) {
  fs::path out = ws / "train.jsonl";
  auto r = run({"export", "--output", out.string(), "--validation", "0.5", "--include-flagged"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(ws / "train.validation.jsonl"));
  EXPECT_THAT(r.output, HasSubstr("train.validation.jsonl"));
}

TEST_F(ExportCli, TheExportSectionOfTheConfigChoosesWhatIsWritten) {
  test::write_file(ws / "git2dataset.yaml",
                   "pipeline:\n  database: data/g2d.db\n"
                   "export:\n  format: alpaca\n  output: sets/train.jsonl\n"
                   "  keep: [truncated]\n  card: false\n  system_prompt: \"Be exact.\"\n"
                   "  paths: [\"**/a/*\"]\n");
  auto r = run({"export"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  // A relative output in the file is relative to the file's folder, like every path it names.
  fs::path out = ws / "sets/train.jsonl";
  EXPECT_THAT(r.output, HasSubstr("export: 2 samples to " + out.string() + " (alpaca)"));
  EXPECT_FALSE(fs::exists(ws / "sets/README.md"));
  std::ifstream in(out);
  int lines = 0;
  for (std::string line; std::getline(in, line); ++lines) {
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["system"], "Be exact.");
    EXPECT_THAT(j["instruction"].get<std::string>(), HasSubstr("github.com/o/a"));
  }
  EXPECT_EQ(lines, 2);

  // Flags beat the file: another format, every path, the default card; a relative --output is
  // relative to the current directory.
  auto flags =
      test::run_git2dataset({"export", "--config", (ws / "git2dataset.yaml").string(), "--format",
                             "raw", "--path", "**", "--output", "flagged.jsonl"},
                            {}, ws / "sets");
  ASSERT_EQ(flags.exit_code, 0) << flags.output;
  EXPECT_THAT(flags.output, HasSubstr("export: 4 samples to flagged.jsonl (raw)"));
  EXPECT_TRUE(fs::exists(ws / "sets/flagged.jsonl"));
  EXPECT_FALSE(fs::exists(ws / "sets/README.md"));  // card: false still holds
}

// A FIFO is written in place: its reader gets every line, and it stays a FIFO.
TEST_F(ExportCli, AFifosReaderGetsEveryLine) {
  fs::path fifo = ws / "pipe.jsonl";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  test::FifoReader reader(fifo);
  ASSERT_TRUE(reader.opened());
  auto r = run({"export", "--output", fifo.string()});
  const std::string& got = reader.finish();
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("export: 3 samples to"));
  EXPECT_EQ(std::count(got.begin(), got.end(), '\n'), 3) << got;
  EXPECT_EQ(fs::symlink_status(fifo).type(), fs::file_type::fifo) << "the FIFO was replaced";
  EXPECT_FALSE(fs::exists(ws / "README.md")) << "a card beside a FIFO";
}

// A stream named by path (/dev/stdout, a terminal) gets the dataset alone: the summary goes to the
// log on standard error, as for `-`.
TEST_F(ExportCli, ADeviceOutputGetsTheLinesAndTheSummaryGoesToTheLog) {
  std::string command = "'" + test::git2dataset_exe().string() +
                        "' export --output /dev/stdout --config '" +
                        (ws / "git2dataset.yaml").string() + "' 2>/dev/null";
  auto r = sys::run_process({"sh", "-c", command});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->exit_code, 0) << r->output;
  std::istringstream lines(r->output);
  int count = 0;
  for (std::string line; std::getline(lines, line); ++count)
    EXPECT_FALSE(nlohmann::json::parse(line, nullptr, false).is_discarded()) << line;
  EXPECT_EQ(count, 3) << r->output;
}

TEST_F(ExportCli, AnOutputThatIsADirectoryIsRefusedByName) {
  fs::create_directories(ws / "sets");
  auto r = run({"export", "--output", (ws / "sets").string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("sets is a directory, not a file"));
}

TEST_F(ExportCli, BadInputIsRefusedByName) {
  auto format = run({"export", "--format", "jsonl"});
  EXPECT_EQ(format.exit_code, 2);
  EXPECT_THAT(format.output, HasSubstr("export.format: expected one of alpaca"));
  EXPECT_THAT(format.output, HasSubstr("(--format)"));
  auto keep = run({"export", "--keep", "truncatd"});
  EXPECT_EQ(keep.exit_code, 2);
  EXPECT_THAT(keep.output, HasSubstr("did you mean truncated?"));
  auto split = run({"export", "--output", "-", "--validation", "0.1"});
  EXPECT_EQ(split.exit_code, 2);
  EXPECT_THAT(split.output,
              HasSubstr("export.validation_fraction: a validation split needs export.output"));
  test::write_file(ws / "bad.yaml", "export:\n  min_grounding: high\n");
  auto file = test::run_git2dataset({"export", "--config", (ws / "bad.yaml").string()});
  EXPECT_EQ(file.exit_code, 2);
  EXPECT_THAT(file.output, HasSubstr("export.min_grounding: expected number from 0 to 1"));
  auto to_stdout = run({"run", "--output", "-"});
  EXPECT_EQ(to_stdout.exit_code, 2);
  EXPECT_THAT(to_stdout.output, HasSubstr("give --output (export.output) a file"));
  fs::remove_all(ws / "data");
  auto missing = run({"export"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.output, HasSubstr("no database yet"));
}

}  // namespace
}  // namespace g2d
