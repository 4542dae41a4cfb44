// The dataset card beside an export (README.md): its counts, each repository's licence read from
// its licence file, the selection and what it removed; a user's own README.md is never replaced.
#include "dataset/card.hpp"

#include <fstream>
#include <sstream>
#include <sys/stat.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "dataset/licence.hpp"
#include "support.hpp"

namespace g2d::dataset {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view k_mit =
    "MIT License\n\nCopyright (c) 2024 Someone\n\nPermission is hereby granted, free of charge, "
    "to any person obtaining a copy\nof this software and associated documentation files ...";
constexpr std::string_view k_apache =
    "                                 Apache License\n                           Version 2.0, "
    "January 2004\n                        http://www.apache.org/licenses/\n";
constexpr std::string_view k_gpl3 =
    "                    GNU GENERAL PUBLIC LICENSE\n                       Version 3, 29 June "
    "2007\n";
constexpr std::string_view k_bsd3 =
    "Redistribution and use in source and binary forms, with or without\nmodification, are "
    "permitted ...\n3. Neither the name of the copyright holder nor the names of its\n"
    "contributors may be used to endorse ...";

TEST(Licence, CommonLicenceTextsAreNamedBySpdxId) {
  EXPECT_EQ(spdx_of(k_mit), "MIT");
  EXPECT_EQ(spdx_of(k_apache), "Apache-2.0");
  EXPECT_EQ(spdx_of(k_gpl3), "GPL-3.0");
  EXPECT_EQ(spdx_of(k_bsd3), "BSD-3-Clause");
  EXPECT_EQ(spdx_of("All rights reserved. Do not copy."), "");
}

TEST(Licence, TheLicenceFileIsFoundWhateverItsCase) {
  test::TempDir repo;
  EXPECT_EQ(detect_licence(repo.path()).file, "");
  test::write_file(repo / "License.md", std::string(k_apache));
  test::write_file(repo / "README.md", std::string(k_mit));
  auto licence = detect_licence(repo.path());
  EXPECT_EQ(licence.file, "License.md");
  EXPECT_EQ(licence.spdx, "Apache-2.0");
  EXPECT_EQ(detect_licence(repo / "missing").file, "");
}

// A repository's licence file is repository content (hostile input): a fifo never blocks
// `export`, a symlink (to /dev/zero) is never read through, a huge file is passed over.
TEST(Licence, ALicenceFileThatIsAFifoASymlinkOrHugeIsPassedOver) {
  test::TempDir repo;
  ASSERT_EQ(mkfifo((repo / "LICENSE").c_str(), 0600), 0);
  fs::create_symlink("/dev/zero", repo / "LICENCE");
  test::write_file(repo / "COPYING", std::string(k_mit) + std::string(size_t{2} << 20, ' '));
  test::write_file(repo / "LICENSE.md", std::string(k_apache));
  Licence licence;
  EXPECT_TRUE(test::finishes_without_fifo_release([&] { licence = detect_licence(repo.path()); },
                                                  repo / "LICENSE"))
      << "blocked on a fifo";
  EXPECT_EQ(licence.file, "LICENSE.md");
  EXPECT_EQ(licence.spdx, "Apache-2.0");
}

class CardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = store::open_sqlite(dir / "g2d.db");
    ASSERT_TRUE(opened) << opened.error().describe();
    db = std::move(*opened);
    add("github.com/o/a", "x.c", 2, "");
    add("github.com/o/b", "y.c", 1, "truncated");
    test::write_file(dir / "repos/github.com/o/a/LICENSE", std::string(k_mit));
    fs::create_directories(dir / "repos/github.com/o/b");
  }

  void add(const std::string& repo, const std::string& path, int n, const std::string& flags) {
    store::FileRecord f;
    f.file_path = repo + "/" + path;
    f.repo = repo;
    f.language = "c";
    std::vector<store::SampleRecord> samples;
    for (int i = 0; i < n; ++i) {
      store::SampleRecord s;
      s.file_path = f.file_path;
      s.question = "Question " + std::to_string(i) + " about " + path + "?";
      s.answer = "It sets `x` to " + std::to_string(i) + ".";
      s.model_used = "tiny | model";
      s.repo_url = "https://" + repo;
      s.prompt_version = "builtin-1";
      s.quality_flags = flags;
      s.code = "int x;\n";
      samples.push_back(s);
    }
    ASSERT_TRUE(db->commit_file(f, samples));
  }

  Result<ExportSummary> run() {
    ExportOptions o;
    o.output = dir / "out/d.jsonl";
    o.repos_dir = dir / "repos";
    std::ostringstream ignored;
    return export_dataset(*db, o, ignored);
  }

  test::TempDir dir;
  std::unique_ptr<store::Store> db;
};

TEST_F(CardTest, TheCardSaysWhatIsInTheDatasetAndWhereItCameFrom) {
  auto summary = run();
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->card_path, dir / "out/README.md");
  std::string card = test::read_file(summary->card_path);
  EXPECT_THAT(card, HasSubstr("license: mit\n"));  // the one licence of what was written
  EXPECT_THAT(card, HasSubstr("path: \"d.jsonl\""));
  EXPECT_THAT(card, HasSubstr("| d.jsonl | train | 2 |"));
  EXPECT_THAT(card, HasSubstr("| https://github.com/o/a | MIT | LICENSE | 2 |"));
  EXPECT_THAT(card, Not(HasSubstr("https://github.com/o/b |")));  // nothing of it was written
  EXPECT_THAT(card, HasSubstr("| c | 2 |"));
  EXPECT_THAT(card, HasSubstr("| tiny \\| model | 2 |"));  // a table cell cannot be broken
  EXPECT_THAT(card, HasSubstr("3 samples were read; 2 written."));
  EXPECT_THAT(card, HasSubstr("| truncated | 1 |"));
  EXPECT_THAT(card, HasSubstr(k_card_marker));
  // Written again over its own earlier card.
  auto again = run();
  ASSERT_TRUE(again);
  EXPECT_EQ(again->card_path, dir / "out/README.md");
}

TEST_F(CardTest, AUsersOwnReadmeIsNeverReplaced) {
  test::write_file(dir / "out/README.md", "# my project\n");
  auto summary = run();
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->card_path, dir / "out/d.README.md");
  EXPECT_EQ(test::read_file(dir / "out/README.md"), "# my project\n");
  EXPECT_THAT(test::read_file(summary->card_path), HasSubstr("| https://github.com/o/a | MIT"));
}

}  // namespace
}  // namespace g2d::dataset
