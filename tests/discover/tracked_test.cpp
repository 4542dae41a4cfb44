// .gitignore applies to untracked files only, as in git: discovery on real git repositories, with
// the tracked paths git itself lists (git::tracked_files), checked against what git counts as the
// working tree's files (`git ls-files --cached --others --exclude-standard`).
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "discover/discover.hpp"
#include "git/scrape.hpp"
#include "git_oracle.hpp"

namespace g2d::discover {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAreArray;

constexpr const char* kRepo = "h/r";

class TrackedFiles : public GitOracleTest {
 protected:
  void SetUp() override {
    GitOracleTest::SetUp();
    root = m_tmp / "repos" / kRepo;
    fs::create_directories(root);
    run_git({"init", "-q"});
    options.allowed_extensions = {".c"};
    options.hash_threads = 1;
  }

  void run_git(std::vector<std::string> args) {
    auto r = git(root, args);
    ASSERT_TRUE(r && r->exit_code == 0) << (r ? r->output : "");
  }

  void write(const std::string& rel, std::string_view content = "int x;\n") {
    test::write_file(root / rel, content);
  }

  // What git takes for the working tree's files: tracked, or untracked and not ignored.
  std::vector<std::string> git_files() {
    auto r = git(root, {"ls-files", "-z", "--cached", "--others", "--exclude-standard"});
    EXPECT_TRUE(r && r->exit_code == 0);
    std::vector<std::string> out;
    std::string_view rest = r ? std::string_view(r->output) : std::string_view();
    while (!rest.empty()) {
      size_t end = rest.find('\0');
      out.emplace_back(rest.substr(0, end));
      rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    out.erase(std::remove_if(out.begin(), out.end(),
                             [](const std::string& p) { return !p.ends_with(".c"); }),
              out.end());
    return out;
  }

  Repository discover() {
    auto tracked = git::tracked_files(root);
    EXPECT_TRUE(tracked) << tracked.error().describe();
    return discover_repository(m_tmp / "repos", kRepo, options,
                               tracked ? *tracked : std::vector<std::string>{});
  }

  static std::vector<std::string> paths(const Repository& r) {
    std::vector<std::string> out;
    for (const auto& f : r.files)
      out.push_back(f.path);
    return out;
  }

  static std::string fate(const Repository& r, const std::string& rel) {
    std::string key = std::string(kRepo) + "/" + rel;
    for (const auto& f : r.files)
      if (f.file_path == key)
        return "taken";
    for (const auto& s : r.skipped)
      if (s.file_path == key)
        return std::string(to_string(s.reason));
    return "absent";
  }

  fs::path root;
  Options options;
};

TEST_F(TrackedFiles, ACommittedFileThatGitignoreMatchesIsTakenAnUntrackedOneIsNot) {
  write(".gitignore", "*.gen.c\n");
  write("main.c");
  write("forced.gen.c");
  write("other.gen.c");
  write("new.c");  // untracked, not ignored
  run_git({"add", "main.c", ".gitignore"});
  run_git({"add", "-f", "forced.gen.c"});
  run_git({"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "x"});
  Repository r = discover();
  EXPECT_THAT(paths(r), ElementsAreArray(git_files()));
  EXPECT_EQ(fate(r, "forced.gen.c"), "taken");
  EXPECT_EQ(fate(r, "other.gen.c"), "gitignored");
  EXPECT_EQ(fate(r, "new.c"), "taken");
}

TEST_F(TrackedFiles, AnIgnoredDirectoryIsEnteredForItsTrackedFilesOnly) {
  write(".gitignore", "build/\nlogs/\n");
  write("build/keep.c");
  write("build/sub/deep.c");
  write("build/out.c");
  write("build/sub/x.c");
  write("build/tmp/y.c");
  write("logs/l.c");
  write("a.c");
  run_git({"add", "a.c", ".gitignore"});
  run_git({"add", "-f", "build/keep.c", "build/sub/deep.c"});
  Repository r = discover();
  EXPECT_THAT(paths(r), ElementsAreArray(git_files()));
  EXPECT_EQ(fate(r, "build/keep.c"), "taken");
  EXPECT_EQ(fate(r, "build/sub/deep.c"), "taken");
  EXPECT_EQ(fate(r, "build/out.c"), "gitignored");
  EXPECT_EQ(fate(r, "build/sub/x.c"), "gitignored");
  EXPECT_EQ(fate(r, "build/tmp/"), "gitignored");  // holds nothing tracked: not entered
  EXPECT_EQ(fate(r, "logs/"), "gitignored");
}

TEST_F(TrackedFiles, TheConfigsIgnorePatternsStillExcludeTrackedFiles) {
  options.ignore_patterns = {"skipme.c", "vendor/"};
  write("skipme.c");
  write("vendor/v.c");
  write("a.c");
  run_git({"add", "."});
  Repository r = discover();
  EXPECT_EQ(fate(r, "skipme.c"), "ignore_pattern");
  EXPECT_EQ(fate(r, "vendor/"), "ignore_pattern");
  EXPECT_EQ(fate(r, "a.c"), "taken");
}

TEST_F(TrackedFiles, WithoutTrackedPathsEveryIgnoredFileIsSkipped) {
  write(".gitignore", "*.gen.c\n");
  write("forced.gen.c");
  run_git({"add", "-f", "forced.gen.c"});
  Repository r = discover_repository(m_tmp / "repos", kRepo, options);
  EXPECT_EQ(fate(r, "forced.gen.c"), "gitignored");
}

TEST_F(TrackedFiles, TrackedFilesAreListedSortedWithTheirOddNames) {
  write("z.c");
  write("dir/a b.c");
  write("tab\there.c");
  write("new\nline.c");
  run_git({"add", "."});
  auto tracked = git::tracked_files(root);
  ASSERT_TRUE(tracked) << tracked.error().describe();
  EXPECT_THAT(*tracked, ElementsAreArray({"dir/a b.c", "new\nline.c", "tab\there.c", "z.c"}));
}

TEST(TrackedFilesOutsideGit, ADirectoryThatIsNoRepositoryIsAnError) {
  test::TempDir tmp;
  auto tracked = git::tracked_files(tmp.path());
  ASSERT_FALSE(tracked);
  EXPECT_THAT(tracked.error().message, ::testing::HasSubstr("git ls-files failed"));
}

}  // namespace
}  // namespace g2d::discover
