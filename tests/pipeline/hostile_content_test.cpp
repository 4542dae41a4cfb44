// run_prepare on repository content that changed into something hostile after discovery (real
// files, fifos and symlinks, a real SQLite store, the scripted fake backend): a fifo never blocks
// the run, a symlink is never read through, a file is never read past what discovery hashed, and
// a file that would cost more than pipeline.max_units_per_file units fails before any model call.
#include <atomic>
#include <filesystem>
#include <sys/stat.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fake_backend.hpp"
#include "pipeline/prepare.hpp"
#include "pipeline/repo_identifiers.hpp"
#include "support.hpp"
#include "sys/sha256.hpp"

namespace g2d::pipeline {
namespace {

namespace fs = std::filesystem;
using test::echo_answer;
using test::fake_questions;
using test::fake_reply;
using test::ScriptedFakeBackend;
using ::testing::HasSubstr;

constexpr const char* kRepo = "github.com/o/r";

Result<llm::GenerateResult> two_questions(const llm::GenerateRequest& request, int) {
  return fake_reply(fake_questions(request, 2));
}

class HostileContent : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::open_sqlite(dir.path() / "g2d.db");
    ASSERT_TRUE(opened) << opened.error().describe();
    db = std::move(*opened);
    options.repos_dir = dir.path() / "repos";
    options.model = "fake";
    options.settings_fingerprint = "fp";
    options.questions_per_file = 2;
    options.max_tokens = 64;
    options.max_retries = 0;
    options.concurrent_files = 1;
  }

  fs::path file(const std::string& name) const { return options.repos_dir / kRepo / name; }

  // Writes the file and plans it as discovery saw it.
  void add(const std::string& name, const std::string& content, Change change = Change::new_file) {
    test::write_file(file(name), content);
    PlannedFile p;
    p.file.repo = kRepo;
    p.file.path = name;
    p.file.file_path = std::string(kRepo) + "/" + name;
    p.file.language = "c";
    p.file.size = content.size();
    p.file.sha256 = sys::sha256_hex(content);
    p.commit = "c0ffee";
    p.change = change;
    plan.files.push_back(p);
  }

  void replace_with_fifo(const std::string& name) {
    fs::remove(file(name));
    ASSERT_EQ(mkfifo(file(name).c_str(), 0600), 0);
  }

  // Runs prepare; a run that blocks on the fifo `fifo` fails the test instead of hanging it.
  Result<PrepareSummary> run(llm::Backend& backend, const std::string& fifo = "") {
    Result<PrepareSummary> summary = fail(ErrorKind::internal, "not run");
    auto work = [&] {
      summary = run_prepare(*db, backend, generate::builtin_prompts(), plan, options);
    };
    if (fifo.empty())
      work();
    else
      EXPECT_TRUE(test::finishes_without_fifo_release(work, file(fifo))) << "blocked on a fifo";
    return summary;
  }

  std::string failure_of(const std::string& name) {
    auto failed = db->failed_files();
    EXPECT_TRUE(failed) << failed.error().describe();
    for (const auto& f : *failed)
      if (f.file_path == std::string(kRepo) + "/" + name)
        return f.error_message;
    return "";
  }

  test::TempDir dir;
  std::unique_ptr<store::Store> db;
  PrepareOptions options;
  Plan plan;
};

TEST_F(HostileContent, AFileReplacedByAFifoAfterDiscoveryFailsWithItsReasonAndNeverBlocks) {
  add("a.c", "int a;\n");
  add("b.c", "int b;\n");
  replace_with_fifo("a.c");
  ScriptedFakeBackend backend(two_questions, echo_answer);
  auto summary = run(backend, "a.c");
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->failed, 1);
  EXPECT_EQ(summary->done, 1);
  EXPECT_THAT(failure_of("a.c"), HasSubstr("is not a regular file (a FIFO (named pipe))"));
  EXPECT_EQ(backend.question_calls(), 1);  // b.c only
}

TEST_F(HostileContent, AFileReplacedByASymlinkToDevZeroIsNeverReadThrough) {
  add("a.c", "int a;\n");
  fs::remove(file("a.c"));
  fs::create_symlink("/dev/zero", file("a.c"));
  ScriptedFakeBackend backend(two_questions, echo_answer);
  auto summary = run(backend);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->failed, 1);
  EXPECT_THAT(failure_of("a.c"), HasSubstr("a.c is a symlink"));
  EXPECT_EQ(backend.question_calls(), 0);
}

TEST_F(HostileContent, AFileThatGrewSinceDiscoveryIsLeftForTheNextRunUnread) {
  add("a.c", "int a;\n");
  test::write_file(file("a.c"), std::string(8 << 20, 'x'));
  ScriptedFakeBackend backend(two_questions, echo_answer);
  auto summary = run(backend);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->skipped, 1);
  EXPECT_EQ(summary->failed, 0);
  EXPECT_EQ(backend.question_calls(), 0);
}

// Grounding reads every file of the repository, unchanged ones too: a fifo among them is passed
// over without blocking.
TEST_F(HostileContent, RepositoryIdentifiersPassOverAFifoWithoutBlocking) {
  add("a.c", "int parse_config(void);\n", Change::unchanged);
  add("b.c", "int other;\n", Change::unchanged);
  replace_with_fifo("b.c");
  RepoIdentifiers index(options.repos_dir, plan);
  std::shared_ptr<const IdentifierSet> ids;
  EXPECT_TRUE(test::finishes_without_fifo_release([&] { ids = index.of(kRepo); }, file("b.c")))
      << "blocked on a fifo";
  ASSERT_NE(ids, nullptr);
  EXPECT_TRUE(ids->contains("parse_config"));
  EXPECT_FALSE(ids->contains("other"));
}

// `count` C functions of 5 lines, about 64 bytes (16 fake tokens: bytes / 4) each.
std::string c_functions(int count) {
  std::string out;
  for (int i = 0; i < count; ++i)
    out += "int f" + std::to_string(i) + "(int x) {\n  x = x * 2 + " + std::to_string(i) +
           ";\n  x = x * 3;\n  return x;\n}\n\n";
  return out;
}

TEST_F(HostileContent, AFileOverTheUnitBoundFailsBeforeAnyModelCallAndSaysWhy) {
  add("big.c", c_functions(400));  // ~6,400 fake tokens: 7 units of ~1,000
  add("small.c", "int s;\n");
  options.max_units_per_file = 3;
  ScriptedFakeBackend backend(two_questions, echo_answer, 2048);
  auto summary = run(backend);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->failed, 1);
  EXPECT_EQ(summary->done, 1);
  EXPECT_EQ(backend.question_calls(), 1);  // small.c only
  EXPECT_EQ(backend.answer_calls(), 2);
  std::string why = failure_of("big.c");
  EXPECT_THAT(why, HasSubstr("more than pipeline.max_units_per_file (3)"));
  EXPECT_THAT(why, HasSubstr("no model call was made"));
}

// The scripted fake, noting the largest text it was asked to count.
class CountSizeRecordingFake : public ScriptedFakeBackend {
 public:
  using ScriptedFakeBackend::ScriptedFakeBackend;
  Result<int> count_tokens(std::string_view text) override {
    size_t seen = m_largest.load();
    while (text.size() > seen && !m_largest.compare_exchange_weak(seen, text.size())) {
    }
    return ScriptedFakeBackend::count_tokens(text);
  }
  size_t largest() const { return m_largest.load(); }

 private:
  std::atomic<size_t> m_largest{0};
};

TEST_F(HostileContent, AHugeFileIsRefusedWithoutBeingTokenizedWhole) {
  std::string huge = c_functions(60000);  // ~3.8 MB
  add("huge.c", huge);
  options.max_units_per_file = 3;
  CountSizeRecordingFake backend(two_questions, echo_answer, 2048);
  auto summary = run(backend);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->failed, 1);
  EXPECT_EQ(backend.question_calls(), 0);
  EXPECT_THAT(failure_of("huge.c"), HasSubstr("pipeline.max_units_per_file (3)"));
  EXPECT_LE(backend.largest(), size_t{64} << 10) << "counted in one piece of " << huge.size();
}

TEST_F(HostileContent, AFileWithinTheUnitBoundIsSplitAsBefore) {
  add("big.c", c_functions(200));  // ~3,200 fake tokens: 4 units of ~1,000
  options.max_units_per_file = 16;
  ScriptedFakeBackend backend(two_questions, echo_answer, 2048);
  auto summary = run(backend);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->done, 1);
  EXPECT_GT(backend.question_calls(), 1) << "not split";
  EXPECT_LE(backend.question_calls(), 16);
}

}  // namespace
}  // namespace g2d::pipeline
