// What a dataset may publish about a repository: no userinfo, no local path, no clone folder.
#include "core/repository_name.hpp"

#include <gtest/gtest.h>

namespace g2d {
namespace {

TEST(RepositoryName, NoUserNameOrCredentialSurvives) {
  EXPECT_EQ(strip_userinfo("https://user:t0ken@github.com/o/r.git"), "https://github.com/o/r.git");
  EXPECT_EQ(strip_userinfo("https://ghp_abc@github.com/o/r"), "https://github.com/o/r");
  EXPECT_EQ(strip_userinfo("https://***@github.com/o/r"), "https://github.com/o/r");
  EXPECT_EQ(strip_userinfo("ssh://git@example.org:2222/team/tool"),
            "ssh://example.org:2222/team/tool");
  EXPECT_EQ(strip_userinfo("git@github.com:o/r.git"), "github.com:o/r.git");
  // Unchanged: no userinfo, an '@' in the path, a local path, a plain name.
  EXPECT_EQ(strip_userinfo("https://github.com/o/r@v2"), "https://github.com/o/r@v2");
  EXPECT_EQ(strip_userinfo("github.com:o/r.git"), "github.com:o/r.git");
  EXPECT_EQ(strip_userinfo("/home/me/a@b:c"), "/home/me/a@b:c");
  EXPECT_EQ(strip_userinfo("acme/corpus"), "acme/corpus");
  EXPECT_EQ(strip_userinfo(""), "");
}

TEST(RepositoryName, ALocalPathGivesItsBaseName) {
  EXPECT_EQ(local_path_name("/home/me/src/corpus"), "corpus");
  EXPECT_EQ(local_path_name("/home/me/src/corpus/"), "corpus");
  EXPECT_EQ(local_path_name("/home/me/src/corpus/."), "corpus");
  EXPECT_EQ(local_path_name("/"), "_");
}

TEST(RepositoryName, AFolderAloneGivesAName) {
  EXPECT_EQ(name_of_folder("github.com/o/r"), "github.com/o/r");
  EXPECT_EQ(name_of_folder("_local/corpus-1a2b3c4d"), "corpus");
  EXPECT_EQ(name_of_folder("_local/my.repo-0badcafe"), "my.repo");
  EXPECT_EQ(name_of_folder("_local/odd"), "odd");
  EXPECT_EQ(name_of_folder("_local/a-b-nothex!"), "a-b-nothex!");
}

// Earlier versions stored the local path, the folder, or a URL with its userinfo redacted; this
// version's values are published as they are.
TEST(RepositoryName, StoredValuesArePublishedInThisVersionsForm) {
  EXPECT_EQ(published_repository("/home/me/src/corpus", "_local/corpus-1a2b3c4d"), "corpus");
  EXPECT_EQ(published_repository("_local/corpus-1a2b3c4d", "_local/corpus-1a2b3c4d"), "corpus");
  EXPECT_EQ(published_repository("", "_local/corpus-1a2b3c4d"), "corpus");
  EXPECT_EQ(published_repository("https://***@github.com/o/r.git", "github.com/o/r"),
            "https://github.com/o/r.git");
  EXPECT_EQ(published_repository("git@github.com:o/r.git", "github.com/o/r"), "github.com:o/r.git");
  for (const char* kept : {"corpus", "acme/corpus", "https://github.com/o/r.git",
                           "github.com:o/r.git", "github.com/o/r"})
    EXPECT_EQ(published_repository(kept, "github.com/o/r"), kept);
}

}  // namespace
}  // namespace g2d
