// repos.txt parsing: good lines become repositories, bad lines are reported by number and reason
// and never stop the good ones; hostile lines are refused before anything could run.
#include "git/repos_file.hpp"

#include <set>
#include <sys/stat.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/repository_name.hpp"
#include "core/text.hpp"
#include "support.hpp"

namespace g2d::git {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

ReposFile parse(std::string_view text) {
  return parse_repos(text, "/home/me/work");
}

TEST(ReposFileTest, UrlsPathsCommentsAndRefs) {
  auto file = parse(
      "# my repositories\n"
      "\n"
      "https://github.com/owner/project.git\n"
      "  git@github.com:owner/other.git   v1.2.0  # pinned\n"
      "ssh://git@example.org:2222/team/tool main\n"
      "../local/checkout\n"
      "/abs/path/repo 3f2a9c1\n");
  ASSERT_TRUE(file.errors.empty()) << file.errors.front().reason;
  ASSERT_EQ(file.repos.size(), 5U);
  EXPECT_EQ(file.repos[0].source, "https://github.com/owner/project.git");
  EXPECT_EQ(file.repos[0].kind, RepoKind::remote);
  EXPECT_EQ(file.repos[0].dir, "github.com/owner/project");
  EXPECT_EQ(file.repos[0].ref, "");
  EXPECT_EQ(file.repos[0].line, 3);
  EXPECT_EQ(file.repos[1].dir, "github.com/owner/other");
  EXPECT_EQ(file.repos[1].ref, "v1.2.0");
  // host:port is not a valid name: sanitised, with a hash of the original so nothing collides.
  EXPECT_THAT(file.repos[2].dir.string(),
              ::testing::MatchesRegex("example.org_2222-[0-9a-f]{8}/team/tool"));
  EXPECT_EQ(file.repos[2].ref, "main");
  EXPECT_EQ(file.repos[3].kind, RepoKind::local);
  EXPECT_EQ(file.repos[3].source, "/home/me/local/checkout");  // relative to repos.txt's folder
  EXPECT_THAT(file.repos[3].dir.string(), ::testing::StartsWith("_local/checkout-"));
  EXPECT_EQ(file.repos[4].ref, "3f2a9c1");
}

TEST(ReposFileTest, BadLinesAreReportedAndGoodLinesKept) {
  auto file = parse(
      "https://github.com/a/b\n"
      "--upload-pack=touch /tmp/pwned\n"
      "ext::sh -c touch% /tmp/pwned\n"
      "https://github.com/c/d -b\n"
      "file:///etc\n"
      "https://github.com/e/f main extra\n"
      "ftp://example.com/x\n"
      "https://github.com/g/h\n");
  ASSERT_EQ(file.repos.size(), 2U);
  EXPECT_EQ(file.repos[0].dir, "github.com/a/b");
  EXPECT_EQ(file.repos[1].dir, "github.com/g/h");
  ASSERT_EQ(file.errors.size(), 6U);
  EXPECT_EQ(file.errors[0].line, 2);
  EXPECT_THAT(file.errors[0].reason, HasSubstr("'-'"));
  EXPECT_EQ(file.errors[1].line, 3);
  EXPECT_THAT(file.errors[1].reason, HasSubstr("ext::"));
  EXPECT_EQ(file.errors[2].line, 4);
  EXPECT_THAT(file.errors[2].reason, HasSubstr("ref"));
  EXPECT_EQ(file.errors[3].line, 5);
  EXPECT_THAT(file.errors[3].reason, HasSubstr("file://"));
  EXPECT_EQ(file.errors[4].line, 6);
  EXPECT_THAT(file.errors[4].reason, HasSubstr("3 fields"));
  EXPECT_EQ(file.errors[5].line, 7);  // ftp is not a transport we allow
  EXPECT_THAT(file.errors[5].reason, HasSubstr("ftp"));
}

// What a dataset may publish about a repository: a name the line gives (`name=NAME`), else the
// remote's URL without its userinfo, else a local folder's base name — never the local path.
TEST(ReposFileTest, EachRepositoryHasAPublishableName) {
  auto file = parse(
      "https://github.com/owner/project.git\n"
      "https://user:s3cret@github.com/o/private.git\n"
      "https://ghp_T0KEN@github.com/o/token.git main\n"
      "ssh://git@example.org:2222/team/tool\n"
      "git@github.com:owner/other.git v1.2.0\n"
      "../local/checkout\n"
      "/abs/path/trailing/\n"
      "/abs/named name=my-corpus\n"
      "/abs/pinned name=pinned v2 \n"
      "https://github.com/o/renamed v3 name=acme/renamed\n");
  ASSERT_TRUE(file.errors.empty()) << file.errors.front().reason;
  ASSERT_EQ(file.repos.size(), 10U);
  EXPECT_EQ(file.repos[0].name, "https://github.com/owner/project.git");
  EXPECT_EQ(file.repos[1].name, "https://github.com/o/private.git");
  EXPECT_EQ(file.repos[2].name, "https://github.com/o/token.git");
  EXPECT_EQ(file.repos[2].ref, "main");
  EXPECT_EQ(file.repos[3].name, "ssh://example.org:2222/team/tool");
  EXPECT_EQ(file.repos[4].name, "github.com:owner/other.git");
  EXPECT_EQ(file.repos[5].name, "checkout");
  EXPECT_EQ(file.repos[6].name, "trailing");
  EXPECT_EQ(file.repos[7].name, "my-corpus");
  EXPECT_EQ(file.repos[8].name, "pinned");
  EXPECT_EQ(file.repos[8].ref, "v2");
  EXPECT_EQ(file.repos[9].name, "acme/renamed");
  EXPECT_EQ(file.repos[9].ref, "v3");
  // A name changes nothing else: the directory is the source's.
  EXPECT_EQ(file.repos[9].dir, "github.com/o/renamed");
  EXPECT_THAT(file.repos[7].dir.string(), ::testing::StartsWith("_local/named-"));
  for (const auto& repo : file.repos) {
    EXPECT_THAT(repo.name, Not(HasSubstr("/home/me"))) << repo.line;
    EXPECT_THAT(repo.name, Not(HasSubstr("/abs"))) << repo.line;
    EXPECT_THAT(repo.name, Not(HasSubstr("s3cret"))) << repo.line;
    EXPECT_THAT(repo.name, Not(HasSubstr("T0KEN"))) << repo.line;
    EXPECT_THAT(repo.name, Not(HasSubstr("@"))) << repo.line;
  }
}

TEST(ReposFileTest, ABadNameFieldIsRefused) {
  auto file = parse(
      "/a name=\n"
      "/b name=x name=y\n"
      "/c main v2\n"
      "/d main name=x extra\n"
      "/e name=ok\n");
  ASSERT_EQ(file.repos.size(), 1U);
  EXPECT_EQ(file.repos[0].name, "ok");
  ASSERT_EQ(file.errors.size(), 4U);
  EXPECT_THAT(file.errors[0].reason, HasSubstr("empty"));
  EXPECT_THAT(file.errors[1].reason, HasSubstr("name="));
  EXPECT_THAT(file.errors[2].reason, HasSubstr("ref"));
  EXPECT_THAT(file.errors[3].reason, HasSubstr("4 fields"));
}

// A repository folder under repos_dir that repos.txt does not list (any more) is named from the
// folder alone: a local one as its line would name it without name=.
TEST(ReposFileTest, AFolderAloneGivesTheNameOfItsLine) {
  auto file = parse("/srv/data/my.repo\nhttps://github.com/o/r.git\n");
  ASSERT_EQ(file.repos.size(), 2U);
  EXPECT_EQ(name_of_folder(file.repos[0].dir.generic_string()), file.repos[0].name);
  EXPECT_EQ(name_of_folder(file.repos[1].dir.generic_string()), "github.com/o/r");
}

TEST(ReposFileTest, UnsupportedSchemeIsRefused) {
  auto file = parse("ftp://example.com/x\nhttp://example.com/y\n");
  ASSERT_EQ(file.errors.size(), 1U);
  EXPECT_EQ(file.errors[0].line, 1);
  EXPECT_THAT(file.errors[0].reason, HasSubstr("ftp"));
  ASSERT_EQ(file.repos.size(), 1U);
}

TEST(ReposFileTest, CredentialsNeverAppearInDisplayOrErrors) {
  auto file = parse(
      "https://user:s3cret@github.com/o/private.git\n"
      "https://token@github.com/o/x.git -bad\n");
  ASSERT_EQ(file.repos.size(), 1U);
  EXPECT_EQ(file.repos[0].source, "https://user:s3cret@github.com/o/private.git");  // git needs it
  EXPECT_THAT(file.repos[0].display, Not(HasSubstr("s3cret")));
  EXPECT_EQ(file.repos[0].dir, "github.com/o/private");
  ASSERT_EQ(file.errors.size(), 1U);
  EXPECT_THAT(file.errors[0].text, Not(HasSubstr("token")));
  EXPECT_EQ(redact_url("https://u:p@h/x"), "https://***@h/x");
  EXPECT_EQ(redact_url("git@github.com:o/r.git"), "git@github.com:o/r.git");
}

TEST(ReposFileTest, DirectoriesCannotEscapeOrCollide) {
  auto file = parse(
      "https://evil.example/../../etc/passwd\n"
      "https://github.com/o/r.git\n"
      "https://github.com/o/r\n"
      "https://github.com/O/R\n");
  for (const auto& repo : file.repos) {
    for (const auto& part : repo.dir) {
      EXPECT_NE(part, "..") << repo.dir;
      EXPECT_NE(part, ".") << repo.dir;
    }
    EXPECT_FALSE(repo.dir.is_absolute());
  }
  // The same repository twice, or two that would share a directory on a case-insensitive
  // filesystem, are reported against the first; only the first is kept.
  ASSERT_EQ(file.errors.size(), 2U);
  EXPECT_EQ(file.errors[0].line, 3);
  EXPECT_THAT(file.errors[0].reason, HasSubstr("line 2"));
  EXPECT_EQ(file.errors[1].line, 4);
  EXPECT_THAT(file.errors[1].reason, HasSubstr("line 2"));
  EXPECT_EQ(file.repos.size(), 2U);
}

TEST(ReposFileTest, NoDirectoryComponentStartsWithADot) {
  auto file = parse(
      "git://h.example/evil/p/.git\n"
      "https://h.example/o/.partial\n"
      "https://h.example/.hidden/r\n"
      "../.secret-checkout\n");
  ASSERT_TRUE(file.errors.empty()) << file.errors.front().reason;
  ASSERT_EQ(file.repos.size(), 4U);
  for (const auto& repo : file.repos)
    for (const auto& part : repo.dir)
      EXPECT_NE(part.string().front(), '.') << repo.dir;
}

TEST(ReposFileTest, NestedRepositoryDirectoriesAreRefused) {
  auto file = parse(
      "git://h.example/evil/p/x\n"
      "git://h.example/evil/p\n"
      "https://h.example/a/b\n"
      "https://h.example/a/b/c/d\n"
      "https://h.example/a/bc\n");
  ASSERT_EQ(file.errors.size(), 2U);
  EXPECT_EQ(file.errors[0].line, 2);
  EXPECT_THAT(file.errors[0].reason, HasSubstr("line 1"));
  EXPECT_EQ(file.errors[1].line, 4);
  EXPECT_THAT(file.errors[1].reason, HasSubstr("line 3"));
  ASSERT_EQ(file.repos.size(), 3U);  // a/bc is beside a/b, not inside it
}

TEST(ReposFileTest, SanitisedNamesDoNotCollide) {
  auto file = parse(
      "https://h.example/o/a+b\n"
      "https://h.example/o/a_b\n"
      "https://host:22/o/r\n"
      "https://host_22/o/r\n"
      "https://local/x\n"
      "https://_local/x\n"
      "/srv/x\n");
  ASSERT_TRUE(file.errors.empty()) << file.errors.front().reason;
  ASSERT_EQ(file.repos.size(), 7U);
  std::set<std::string> dirs;
  for (const auto& repo : file.repos)
    dirs.insert(to_lower(repo.dir.string()));
  EXPECT_EQ(dirs.size(), 7U);
  EXPECT_EQ(file.repos[1].dir, "h.example/o/a_b");  // untouched names stay readable
  EXPECT_EQ(file.repos[3].dir, "host_22/o/r");
  EXPECT_EQ(file.repos[4].dir, "local/x");
  EXPECT_THAT(file.repos[5].dir.string(), Not(::testing::StartsWith("_local/")));
}

TEST(ReposFileTest, MissingFileIsAnError) {
  auto result = read_repos_file("/nonexistent/repos.txt");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::not_found);
  EXPECT_THAT(result.error().message, HasSubstr("/nonexistent/repos.txt"));
}

TEST(ReposFileTest, OversizedFileIsRefusedUnread) {
  test::TempDir dir;
  test::write_file(dir / "repos.txt", std::string(k_max_repos_file_bytes + 1, '#'));
  auto result = read_repos_file(dir / "repos.txt");
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::invalid_argument);
  EXPECT_THAT(result.error().message,
              HasSubstr("repos.txt: the repository list is larger than the 4 MiB allowed"));
}

TEST(ReposFileTest, FifoOrDeviceIsRefusedWithoutWaiting) {
  test::TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "repos.txt").c_str(), 0600), 0);
  auto fifo = read_repos_file(dir / "repos.txt");
  ASSERT_FALSE(fifo);
  EXPECT_EQ(fifo.error().kind, ErrorKind::io);
  EXPECT_THAT(fifo.error().message, HasSubstr("is a FIFO (named pipe), not a repository list"));
  auto zero = read_repos_file("/dev/zero");
  ASSERT_FALSE(zero);
  EXPECT_THAT(zero.error().message, HasSubstr("/dev/zero: is a character device"));
}

}  // namespace
}  // namespace g2d::git
