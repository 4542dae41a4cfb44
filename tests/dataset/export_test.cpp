// export_dataset over a real SQLite store: every live sample once, in the chosen format, the
// selection and its counts, the deterministic split by repository, stdout, and files that are
// either complete or untouched.
#include "dataset/export.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "quality/quality.hpp"
#include "support.hpp"

namespace g2d::dataset {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

std::vector<json> lines_of(const fs::path& file) {
  std::vector<json> out;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);)
    out.push_back(json::parse(line));
  return out;
}

class ExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::open_sqlite(dir / "g2d.db");
    ASSERT_TRUE(opened) << opened.error().describe();
    db = std::move(*opened);
  }

  // A done file of `repo` with `n` samples (answers "answer <i> of <path>").
  void add(const std::string& repo, const std::string& path, int n,
           const std::string& language = "c", const std::string& flags = "") {
    store::FileRecord f;
    f.file_path = repo + "/" + path;
    f.repo = repo;
    f.commit_sha = "c0ffee";
    f.file_hash = "h-" + path;
    f.language = language;
    f.settings_fingerprint = "fp";
    std::vector<store::SampleRecord> samples;
    for (int i = 0; i < n; ++i) {
      store::SampleRecord s;
      s.file_path = f.file_path;
      s.question = "Question " + std::to_string(i) + " about " + path + "?";
      s.answer = "answer " + std::to_string(i) + " of " + path + ": `f" + std::to_string(i) + "`";
      s.model_used = "tiny";
      s.repo_url = "https://" + repo;
      s.commit_sha = f.commit_sha;
      s.file_hash = f.file_hash;
      s.prompt_version = "builtin-1";
      s.settings_fingerprint = "fp";
      s.quality_flags = flags;
      s.code = path == "nocode.c" ? "" : "int f" + std::to_string(i) + ";\n";
      samples.push_back(s);
    }
    ASSERT_TRUE(db->commit_file(f, samples));
  }

  // A done file with one sample whose fields `tweak` sets (after the defaults of add()).
  void add_one(const std::string& path, const std::function<void(store::SampleRecord&)>& tweak) {
    store::FileRecord f;
    f.file_path = "github.com/o/q/" + path;
    f.repo = "github.com/o/q";
    f.file_hash = "h-" + path;
    f.language = "c";
    store::SampleRecord s;
    s.file_path = f.file_path;
    s.question = "What does " + path + " do?";
    s.answer = "`f` does what " + path + " says.";
    s.model_used = "tiny";
    s.repo_url = "https://github.com/o/q";
    s.code = "int f;\n";
    tweak(s);
    if (s.file_path != f.file_path) {  // another repository folder
      f.repo = s.file_path.substr(0, s.file_path.size() - path.size() - 1);
      f.file_path = s.file_path;
    }
    ASSERT_TRUE(db->commit_file(f, {s}));
  }

  // A done file `path` of the repository folder `repo` with one sample whose repo_url was stored
  // as `repo_url` (what this version stores, or what an earlier one did).
  void add_stored(const std::string& repo, const std::string& path, const std::string& repo_url) {
    add_one(path, [&](store::SampleRecord& s) {
      s.file_path = repo + "/" + path;
      s.repo_url = repo_url;
    });
  }

  // Nothing left out for its quality flags (the samples here are alike on purpose).
  static void keep_all(ExportOptions& o) {
    auto all = quality::all_flags();
    o.selection.keep = std::set<quality::Flag>(all.begin(), all.end());
  }

  Result<ExportSummary> run(ExportOptions o) {
    std::ostringstream ignored;
    return export_dataset(*db, o, ignored);
  }

  test::TempDir dir;
  std::unique_ptr<store::Store> db;
};

TEST_F(ExportTest, EveryLiveSampleIsWrittenOnceInTheFormat) {
  add("github.com/o/a", "x.c", 3);
  add("github.com/o/b", "y.c", 2);
  ExportOptions o;
  o.format = Format::alpaca;
  o.output = dir / "out/train.jsonl";  // its folder is created
  auto summary = run(o);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->considered, 5);
  EXPECT_EQ(summary->train, 5);
  EXPECT_EQ(summary->validation, 0);
  auto lines = lines_of(o.output);
  ASSERT_EQ(lines.size(), 5u);
  std::set<std::string> outputs;
  for (const auto& l : lines) {
    outputs.insert(l["output"].get<std::string>());
    EXPECT_THAT(l["input"].get<std::string>(), HasSubstr("```c\nint f"));
  }
  EXPECT_EQ(outputs.size(), 5u);
  EXPECT_TRUE(outputs.contains("answer 2 of x.c: `f2`"));
  std::set<std::string> files;
  for (const auto& entry : fs::directory_iterator(dir / "out"))
    files.insert(entry.path().filename().string());
  // The dataset and its card; no temporary file left behind.
  EXPECT_EQ(files, (std::set<std::string>{"train.jsonl", "README.md"}));
}

TEST_F(ExportTest, DashWritesToTheStream) {
  add("github.com/o/a", "x.c", 2);
  ExportOptions o;
  o.output = "-";
  std::ostringstream out;
  auto summary = export_dataset(*db, o, out);
  ASSERT_TRUE(summary) << summary.error().describe();
  std::istringstream in(out.str());
  int n = 0;
  for (std::string line; std::getline(in, line); ++n)
    EXPECT_EQ(json::parse(line)["messages"][0]["role"], "user");
  EXPECT_EQ(n, 2);
  o.validation_fraction = 0.2;
  auto refused = export_dataset(*db, o, out);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::invalid_argument);
}

TEST_F(ExportTest, TheSelectionFiltersAndCountsWhatItLeavesOut) {
  add("github.com/o/a", "src/x.c", 2);
  add("github.com/o/a", "tests/t.c", 1);
  add("github.com/o/b", "y.py", 2, "python");
  add("github.com/o/c", "src/z.c", 1, "c", "truncated");
  ExportOptions o;
  o.output = dir / "d.jsonl";
  o.format = Format::raw;
  o.selection.languages = {"c"};
  o.selection.paths = {"**/src/**"};
  auto summary = run(o);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->train, 2);
  EXPECT_EQ(summary->removed["language"], 2);
  EXPECT_EQ(summary->removed["path"], 1);
  EXPECT_EQ(summary->removed["truncated"], 1);
  for (const auto& l : lines_of(o.output))
    EXPECT_EQ(l["path"], "src/x.c");

  ExportOptions by_repo;
  by_repo.output = dir / "r.jsonl";
  by_repo.selection.repositories = {"https://github.com/o/c"};
  by_repo.selection.keep = {quality::Flag::truncated};
  by_repo.selection.min_answer_chars = 5;
  auto picked = run(by_repo);
  ASSERT_TRUE(picked) << picked.error().describe();
  EXPECT_EQ(picked->train, 1);
  EXPECT_EQ(picked->removed["repository"], 5);
}

// Samples with a quality flag are left out, each counted under its first flag, unless the flag is
// kept; the thresholds for grounding and near duplicates are the selection's.
TEST_F(ExportTest, QualityFlagsLeaveSamplesOutUnlessKept) {
  auto keys = [](store::SampleRecord& s) {  // scoped to the code, as prepare stores them
    const std::uint64_t scope = quality::code_key(s.code);
    s.duplicate_key =
        static_cast<std::int64_t>(quality::duplicate_key(s.question, s.answer, scope));
    auto sig = quality::minhash(s.question, scope);
    s.question_signature = quality::encode_signature(sig);
    auto bands = quality::band_keys(sig);
    s.question_bands.assign(bands.begin(), bands.end());
  };
  add_one("good.c", [&](auto& s) {
    s.question = "What does good do?";
    s.answer = "`f` is good.";
    keys(s);
  });
  add_one("copy.c", [&](auto& s) {  // the same pair again
    s.question = "What does good do?";
    s.answer = "`f` is good.";
    keys(s);
  });
  add_one("near.c", [&](auto& s) {  // the same question, another answer
    s.question = "What does good do ?";
    keys(s);
  });
  add_one("refusal.c", [&](auto& s) { s.quality_flags = "refusal"; });
  add_one("made_up.c", [&](auto& s) { s.grounding = 0.25; });
  ExportOptions o;
  o.output = dir / "d.jsonl";
  o.format = Format::raw;
  auto summary = run(o);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->train, 1);
  EXPECT_EQ(summary->removed["duplicate"], 1);
  EXPECT_EQ(summary->removed["near_duplicate"], 1);
  EXPECT_EQ(summary->removed["refusal"], 1);
  EXPECT_EQ(summary->removed["ungrounded"], 1);
  EXPECT_EQ(summary->flagged["near_duplicate"], 2);  // the copy is near too

  o.selection.keep = {quality::Flag::duplicate, quality::Flag::near_duplicate};
  o.selection.min_grounding = 0.2;
  auto kept = run(o);
  ASSERT_TRUE(kept) << kept.error().describe();
  EXPECT_EQ(kept->train, 4);
  EXPECT_EQ(kept->removed["refusal"], 1);
  std::map<std::string, json> by_path;
  for (const auto& l : lines_of(o.output))
    by_path[l["path"].get<std::string>()] = l;
  EXPECT_EQ(by_path["copy.c"]["quality_flags"], "duplicate,near_duplicate");
  EXPECT_EQ(by_path["made_up.c"]["grounding"], 0.25);
  EXPECT_EQ(by_path["good.c"]["quality_flags"], "");

  o.selection.near_duplicate_similarity = 1.01;  // nothing is that alike
  o.selection.keep = {quality::Flag::duplicate};
  auto strict = run(o);
  ASSERT_TRUE(strict);
  EXPECT_EQ(strict->removed.count("near_duplicate"), 0u);
}

// Samples as prepare stores them when the model wrote control characters (quality::
// has_control_chars): left out by default, written (JSON-escaped) only when the flag is kept.
TEST_F(ExportTest, SamplesWithControlCharactersAreLeftOutUnlessKept) {
  const std::string esc_answer = "`f` clears the screen \x1b[2J\x07 and ends.";
  const std::string nul_answer = std::string("`f` has a NUL \0 inside.", 24);
  const std::string bidi_question =
      "What does \xE2\x80\xAE"
      "cod.exe do?";
  ASSERT_TRUE(quality::has_control_chars(esc_answer));
  ASSERT_TRUE(quality::has_control_chars(nul_answer));
  ASSERT_TRUE(quality::has_control_chars(bidi_question));
  add_one("good.c", [&](auto&) {});
  add_one("esc.c", [&](auto& s) {
    s.answer = esc_answer;
    s.quality_flags = "control_chars";
  });
  add_one("nul.c", [&](auto& s) {
    s.answer = nul_answer;
    s.quality_flags = "control_chars";
  });
  add_one("bidi.c", [&](auto& s) {
    s.question = bidi_question;
    s.quality_flags = "control_chars";
  });
  ExportOptions o;
  o.output = dir / "d.jsonl";
  o.format = Format::raw;
  auto summary = run(o);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->train, 1);
  EXPECT_EQ(summary->removed["control_chars"], 3);
  EXPECT_EQ(summary->flagged["control_chars"], 3);
  auto lines = lines_of(o.output);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["path"], "good.c");

  o.selection.keep = {quality::Flag::control_chars};
  auto kept = run(o);
  ASSERT_TRUE(kept) << kept.error().describe();
  EXPECT_EQ(kept->train, 4);
  std::map<std::string, json> by_path;
  for (const auto& l : lines_of(o.output))
    by_path[l["path"].get<std::string>()] = l;
  EXPECT_EQ(by_path["esc.c"]["quality_flags"], "control_chars");
  EXPECT_EQ(by_path["esc.c"]["answer"], esc_answer);  // as stored, JSON-escaped
}

// A sample stored before the flag was measured (no quality_flags) is still left out.
TEST_F(ExportTest, ControlCharactersOfSamplesStoredWithoutTheFlagAreFoundAtExport) {
  add_one("good.c", [&](auto&) {});
  add_one("esc.c", [&](auto& s) { s.answer = "It clears the screen \x1b[2J and ends."; });
  ExportOptions o;
  o.output = dir / "d.jsonl";
  o.format = Format::raw;
  auto summary = run(o);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->train, 1);
  EXPECT_EQ(summary->removed["control_chars"], 1);
}

// The answer's own flags are derived again at export, so a rule added since a sample was stored
// (a refusal said at the end, a placeholder answer, a loop of one sentence) leaves it out too.
TEST_F(ExportTest, AnswerFlagsOfSamplesStoredUnderOlderRulesAreFoundAtExport) {
  add_one("good.c", [&](auto&) {});
  add_one("late_refusal.c", [&](auto& s) {
    s.answer =
        "The `add` function is declared in the file, but the code does not show the "
        "answer to the question.";
  });
  add_one("placeholder.c", [&](auto& s) { s.answer = "N/A"; });
  add_one("loop.c", [&](auto& s) {
    s.answer =
        "The `add` function adds two numbers together. The `add` function adds two numbers "
        "together. The `add` function adds two numbers together.";
  });
  ExportOptions o;
  o.output = dir / "d.jsonl";
  o.format = Format::raw;
  auto summary = run(o);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->train, 1);
  EXPECT_EQ(summary->removed["refusal"], 1);
  EXPECT_EQ(summary->removed["empty"], 1);
  EXPECT_EQ(summary->removed["repetitive"], 1);
}

TEST_F(ExportTest, TheSummaryCountsWhatWasWrittenByRepositoryLanguageAndModel) {
  add("github.com/o/a", "x.c", 2);
  add("github.com/o/b", "y.py", 1, "python");
  ExportOptions o;
  o.output = dir / "d.jsonl";
  auto summary = run(o);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->repositories,
            (std::map<std::string, std::int64_t>{{"https://github.com/o/a", 2},
                                                 {"https://github.com/o/b", 1}}));
  EXPECT_EQ(summary->repository_folders["https://github.com/o/b"], "github.com/o/b");
  EXPECT_EQ(summary->languages, (std::map<std::string, std::int64_t>{{"c", 2}, {"python", 1}}));
  EXPECT_EQ(summary->models, (std::map<std::string, std::int64_t>{{"tiny", 3}}));
  EXPECT_EQ(summary->prompt_versions, (std::map<std::string, std::int64_t>{{"builtin-1", 3}}));
}

// A sample shows the path in its repository and the repository's published name, never the folder
// under repos_dir nor a local path — also for samples an earlier version stored with the local path
// (or a URL's redacted userinfo) in repo_url, or with a question naming the clone folder: export
// shows those as this version would store them, so a repository's old and new samples are one
// repository for the selection, the split and the card.
TEST_F(ExportTest, SamplesShowThePathInTheRepositoryAndAPublishableRepository) {
  add_stored("_local/corpus-1a2b3c4d", "src/new.c", "corpus");
  add_stored("_local/corpus-1a2b3c4d", "src/old.c", "/home/someone/src/corpus");
  // An earlier version showed the model the clone folder, so its text may name it.
  add_one("src/older.c", [](store::SampleRecord& s) {
    s.file_path = "_local/corpus-1a2b3c4d/src/older.c";
    s.repo_url = "/home/someone/src/corpus";
    s.question = "What does _local/corpus-1a2b3c4d/src/older.c define?";
    s.answer = "In _local/corpus-1a2b3c4d/src/older.c, f; see _local/corpus-1a2b3c4d.";
  });
  add_stored("github.com/o/p", "p.c", "https://***@github.com/o/p.git");
  add_stored("github.com/o/s", "s.c", "git@github.com:o/s.git");
  add_stored("_local/named-5e6f7a8b", "n.c", "acme/named");
  for (Format format :
       {Format::alpaca, Format::sharegpt, Format::openai, Format::chatml, Format::raw}) {
    ExportOptions o;
    o.format = format;
    o.output = dir / (std::string(to_string(format)) + ".jsonl");
    keep_all(o);
    auto summary = run(o);
    ASSERT_TRUE(summary) << summary.error().describe();
    EXPECT_EQ(summary->train, 6);
    std::string text = test::read_file(o.output);
    EXPECT_THAT(text, Not(HasSubstr("_local"))) << to_string(format);
    EXPECT_THAT(text, Not(HasSubstr("/home/someone"))) << to_string(format);
    EXPECT_THAT(text, Not(HasSubstr("@"))) << to_string(format);
    if (format != Format::raw) {
      EXPECT_THAT(text, HasSubstr("src/new.c (lines 1-1):")) << to_string(format);
    }
    std::string card = test::read_file(summary->card_path);
    EXPECT_THAT(card, Not(HasSubstr("_local"))) << to_string(format);
    EXPECT_THAT(card, Not(HasSubstr("/home/someone"))) << to_string(format);
    EXPECT_THAT(card, HasSubstr("| corpus |"));
    EXPECT_EQ(summary->repositories,
              (std::map<std::string, std::int64_t>{{"corpus", 3},
                                                   {"acme/named", 1},
                                                   {"https://github.com/o/p.git", 1},
                                                   {"github.com:o/s.git", 1}}));
  }
  std::map<std::string, std::string> repo_of;
  for (const auto& l : lines_of(dir / "raw.jsonl")) {
    repo_of[l["path"].get<std::string>()] = l["repo_url"].get<std::string>();
    if (l["path"] == "src/older.c") {
      EXPECT_EQ(l["question"], "What does src/older.c define?");
      EXPECT_EQ(l["answer"], "In src/older.c, f; see corpus.");
    }
  }
  EXPECT_EQ(repo_of, (std::map<std::string, std::string>{{"src/new.c", "corpus"},
                                                         {"src/old.c", "corpus"},
                                                         {"src/older.c", "corpus"},
                                                         {"p.c", "https://github.com/o/p.git"},
                                                         {"s.c", "github.com:o/s.git"},
                                                         {"n.c", "acme/named"}}));
  // Selected by the published name, by the folder, or by a glob over the path in the repository.
  auto written = [&](const std::vector<std::string>& repositories,
                     const std::vector<std::string>& paths) -> std::int64_t {
    ExportOptions o;
    keep_all(o);
    o.output = dir / "selected.jsonl";
    o.selection.repositories = repositories;
    o.selection.paths = paths;
    auto summary = run(o);
    EXPECT_TRUE(summary) << summary.error().describe();
    return summary ? summary->train : -1;
  };
  EXPECT_EQ(written({"corpus"}, {}), 3);
  EXPECT_EQ(written({"_local/corpus-1a2b3c4d"}, {}), 3);
  EXPECT_EQ(written({}, {"src/*.c"}), 3);
}

// The split is by the published repository: a repository's samples stored before and after this
// version land in one file.
TEST_F(ExportTest, ARepositorysOldAndNewSamplesShareTheirSplit) {
  for (int r = 0; r < 20; ++r) {
    std::string folder = "_local/repo" + std::to_string(r) + "-0badcafe";
    add_stored(folder, "new.c", "repo" + std::to_string(r));
    add_stored(folder, "old.c", "/home/someone/repo" + std::to_string(r));
  }
  ExportOptions o;
  o.output = dir / "train.jsonl";
  o.format = Format::raw;
  o.validation_fraction = 0.5;
  keep_all(o);
  auto summary = run(o);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_GT(summary->validation, 0);
  EXPECT_GT(summary->train, 0);
  std::map<std::string, int> count;
  for (const auto& l : lines_of(o.output))
    ++count[l["repo_url"].get<std::string>()];
  for (const auto& [repo, n] : count)
    EXPECT_EQ(n, 2) << repo << " is split across both files";
}

TEST_F(ExportTest, AShortAnswerAndASampleWithoutCodeAreLeftOut) {
  add("github.com/o/a", "x.c", 1);
  add("github.com/o/a", "nocode.c", 1);  // as stored before the code was kept
  ExportOptions o;
  o.output = dir / "d.jsonl";
  o.selection.min_answer_chars = 1000;
  auto summary = run(o);
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->train, 0);
  EXPECT_EQ(summary->removed["answer shorter than 1000 characters"], 1);
  EXPECT_EQ(summary->removed["no code kept with it"], 1);
  o.format_options.include_code = false;  // then the question alone is fine
  o.selection.min_answer_chars = 1;
  auto without = run(o);
  ASSERT_TRUE(without);
  EXPECT_EQ(without->train, 2);
}

TEST_F(ExportTest, TheSplitPutsEachRepositoryInOneFileOnlyAndIsTheSameEveryTime) {
  for (int r = 0; r < 40; ++r)
    add("github.com/o/r" + std::to_string(r), "x.c", 2);
  ExportOptions o;
  o.output = dir / "train.jsonl";
  o.format = Format::raw;
  o.validation_fraction = 0.25;
  auto summary = run(o);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->validation_path, dir / "train.validation.jsonl");
  EXPECT_EQ(summary->train + summary->validation, 80);
  EXPECT_GT(summary->validation, 0);
  EXPECT_GT(summary->train, summary->validation);
  std::set<std::string> train_repos;
  std::set<std::string> validation_repos;
  for (const auto& l : lines_of(o.output))
    train_repos.insert(l["repo_url"].get<std::string>());
  for (const auto& l : lines_of(summary->validation_path))
    validation_repos.insert(l["repo_url"].get<std::string>());
  for (const auto& repo : validation_repos)
    EXPECT_FALSE(train_repos.contains(repo)) << repo << " is in both files";
  std::string first = test::read_file(summary->validation_path);
  ASSERT_TRUE(run(o));
  EXPECT_EQ(test::read_file(summary->validation_path), first) << "the split is deterministic";
  EXPECT_EQ(in_validation("https://github.com/o/r1", 0.25),
            in_validation("https://github.com/o/r1", 0.25));
  EXPECT_FALSE(in_validation("anything", 0));
}

// A store whose sample iteration fails after two samples.
class FailingSamples : public store::Store {
 public:
  explicit FailingSamples(store::Store& inner) : m_inner(inner) {}
  int schema_version() const override { return m_inner.schema_version(); }
  Result<std::optional<store::FileRecord>> get_file(std::string_view p) override {
    return m_inner.get_file(p);
  }
  Status for_each_file(const store::FileVisitor& v) override { return m_inner.for_each_file(v); }
  Status commit_file(const store::FileRecord& f,
                     const std::vector<store::SampleRecord>& s) override {
    return m_inner.commit_file(f, s);
  }
  Status record_failure(std::string_view p, std::string_view k, std::string_view m,
                        std::int64_t n) override {
    return m_inner.record_failure(p, k, m, n);
  }
  Result<std::int64_t> retire_file(std::string_view p) override { return m_inner.retire_file(p); }
  Status save_partials(const std::vector<store::PartialRecord>& w) override {
    return m_inner.save_partials(w);
  }
  Result<std::vector<store::PartialRecord>> partials(std::string_view p, std::string_view h,
                                                     std::string_view f) override {
    return m_inner.partials(p, h, f);
  }
  Result<std::vector<store::FailedRecord>> failed_files() override {
    return m_inner.failed_files();
  }
  Result<bool> clear_failure(std::string_view p) override { return m_inner.clear_failure(p); }
  Result<std::int64_t> clear_all_failures() override { return m_inner.clear_all_failures(); }
  Result<std::optional<std::string>> get_state(std::string_view k) override {
    return m_inner.get_state(k);
  }
  Status set_state(std::string_view k, std::string_view v) override {
    return m_inner.set_state(k, v);
  }
  Result<std::map<std::string, std::string>> state() override { return m_inner.state(); }
  Result<store::RunRecord> read_run() override { return m_inner.read_run(); }
  Status write_run(const store::RunRecord& r, store::RunFields f) override {
    return m_inner.write_run(r, f);
  }
  Result<store::Counts> counts() override { return m_inner.counts(); }
  Status for_each_sample(const store::SampleVisitor& visit) override {
    int n = 0;
    return m_inner.for_each_sample([&](const store::SampleRecord& s) -> Status {
      if (++n > 2)
        return fail(ErrorKind::store, "disk I/O error (injected)");
      return visit(s);
    });
  }

 private:
  store::Store& m_inner;
};

TEST_F(ExportTest, AFailureMidwayLeavesTheEarlierFileIntactAndNoTemporaryFile) {
  add("github.com/o/a", "x.c", 5);
  ExportOptions o;
  o.output = dir / "d.jsonl";
  test::write_file(o.output, "the earlier dataset\n");
  FailingSamples failing(*db);
  std::ostringstream ignored;
  auto summary = export_dataset(failing, o, ignored);
  ASSERT_FALSE(summary);
  EXPECT_THAT(summary.error().message, HasSubstr("injected"));
  EXPECT_EQ(test::read_file(o.output), "the earlier dataset\n");
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir.path()))
    files += entry.path().filename().string().starts_with("d.jsonl") ? 1 : 0;
  EXPECT_EQ(files, 1) << "a temporary file was left behind";
}

TEST_F(ExportTest, AnUnwritableOutputIsAnIoErrorNamingIt) {
  add("github.com/o/a", "x.c", 1);
  test::write_file(dir / "blocker", "a file, not a folder");
  ExportOptions o;
  o.output = dir / "blocker/d.jsonl";
  auto summary = run(o);
  ASSERT_FALSE(summary);
  EXPECT_EQ(summary.error().kind, ErrorKind::io);
  EXPECT_THAT(summary.error().message, HasSubstr("blocker"));
}

}  // namespace
}  // namespace g2d::dataset
