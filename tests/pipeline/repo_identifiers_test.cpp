// A repository's identifiers for grounding: built once from the plan's files of that repository
// (unchanged ones included), shared between threads, bounded in the bytes it reads.
#include "pipeline/repo_identifiers.hpp"

#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support.hpp"

namespace g2d::pipeline {
namespace {

class RepoIdentifiersTest : public ::testing::Test {
 protected:
  void add(const std::string& repo, const std::string& path, const std::string& content) {
    test::write_file(dir.path() / repo / path, content);
    PlannedFile p;
    p.file.repo = repo;
    p.file.path = path;
    p.file.file_path = repo + "/" + path;
    p.file.size = content.size();
    p.change = Change::unchanged;
    plan.files.push_back(p);
  }

  test::TempDir dir;
  Plan plan;
};

TEST_F(RepoIdentifiersTest, HoldsTheIdentifiersOfItsOwnRepositoryOnly) {
  add("h/a", "one.c", "int parse_config(void);\n");
  add("h/a", "two.py", "class HttpClient: pass\n");
  add("h/b", "three.c", "int other_repo_only;\n");
  RepoIdentifiers index(dir.path(), plan);
  auto a = index.of("h/a");
  EXPECT_TRUE(a->contains("parse_config"));
  EXPECT_TRUE(a->contains("HttpClient"));
  EXPECT_FALSE(a->contains("other_repo_only"));
  EXPECT_TRUE(index.of("h/b")->contains("other_repo_only"));
  EXPECT_TRUE(index.of("h/none")->empty());
}

TEST_F(RepoIdentifiersTest, IsBuiltOnceAndSharedBetweenThreads) {
  add("h/a", "one.c", "int parse_config(void);\n");
  RepoIdentifiers index(dir.path(), plan);
  std::vector<std::shared_ptr<const IdentifierSet>> seen(4);
  {
    std::vector<std::jthread> threads;
    for (std::size_t i = 0; i < seen.size(); ++i)
      threads.emplace_back([&, i] { seen[i] = index.of("h/a"); });
  }
  for (const auto& s : seen)
    EXPECT_EQ(s.get(), seen[0].get());
  // Built when first asked: a file removed afterwards is still in the set.
  std::filesystem::remove(dir.path() / "h/a/one.c");
  EXPECT_TRUE(index.of("h/a")->contains("parse_config"));
}

TEST_F(RepoIdentifiersTest, ReadsAtMostItsByteBudget) {
  add("h/a", "big.c", "int in_the_big_file;" + std::string(100, ' ') + "\n");
  add("h/a", "small.c", "int in_the_small_file;\n");
  RepoIdentifiers index(dir.path(), plan, 64);
  auto a = index.of("h/a");
  EXPECT_FALSE(a->contains("in_the_big_file")) << "over the budget: left out";
  EXPECT_TRUE(a->contains("in_the_small_file")) << "a smaller file after it still fits";
}

}  // namespace
}  // namespace g2d::pipeline
