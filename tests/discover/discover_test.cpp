// Discovery on real directory trees: what is taken, what is skipped and why, and the hashes.
#include "discover/discover.hpp"

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "support.hpp"
#include "sys/process.hpp"

namespace g2d::discover {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr const char* kRepo = "github.com/o/r";

// `bytes` bytes of text in lines of 80 (not minified, whatever its size).
std::string text_lines(size_t bytes, char fill = 'a') {
  std::string out(bytes, fill);
  for (size_t i = 79; i < bytes; i += 80)
    out[i] = '\n';
  return out;
}

class Discover : public ::testing::Test {
 protected:
  void SetUp() override {
    root = tmp.path() / "repos" / kRepo;
    fs::create_directories(root / ".git");
    options.allowed_extensions = {".py", ".c", ".cpp", ".ts"};
    options.include_file_names = {"Dockerfile"};
    options.ignore_patterns = {"node_modules/", "*.test.*"};
    options.max_file_bytes = 1000;
    options.hash_threads = 2;
  }

  void write(const std::string& rel, std::string_view content = "int x;\n") {
    fs::create_directories((root / rel).parent_path());
    test::write_file(root / rel, content);
  }

  Repository run() { return discover_repository(tmp.path() / "repos", kRepo, options); }

  static std::vector<std::string> paths(const Repository& r) {
    std::vector<std::string> out;
    for (const auto& f : r.files)
      out.push_back(f.path);
    return out;
  }

  // The reason `file_path` (relative to the repository) was skipped, or "taken" / "absent".
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

  test::TempDir tmp;
  fs::path root;
  Options options;
};

TEST_F(Discover, TakesAllowedExtensionsAndConfiguredNamesAndSkipsTheRest) {
  write("main.py");
  write("src/lib.C");  // extensions compare case-insensitively
  write("types.d.ts");
  write("Dockerfile", "FROM debian\n");
  write("README.md", "# hi\n");
  write("Makefile", "all:\n");
  Repository r = run();
  EXPECT_EQ(r.repo, kRepo);
  EXPECT_THAT(paths(r), ElementsAre("Dockerfile", "main.py", "src/lib.C", "types.d.ts"));
  EXPECT_EQ(fate(r, "README.md"), "not_source");
  EXPECT_EQ(fate(r, "Makefile"), "not_source");
  const SourceFile& f = r.files[1];
  EXPECT_EQ(f.file_path, "github.com/o/r/main.py");
  EXPECT_EQ(f.repo, kRepo);
  EXPECT_EQ(f.language, "python");
  EXPECT_EQ(f.size, 7u);
  EXPECT_EQ(r.files[0].language, "dockerfile");
}

TEST_F(Discover, HashesTheContentWithSha256) {
  write("a.py", "hello\n");
  write("empty.py", "");
  Repository r = run();
  ASSERT_EQ(r.files.size(), 2u);
  EXPECT_EQ(r.files[0].sha256, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
  EXPECT_EQ(r.files[1].sha256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_F(Discover, ParallelHashingGivesTheSameResultAsOneThread) {
  for (int i = 0; i < 200; ++i)
    write("d" + std::to_string(i % 7) + "/f" + std::to_string(i) + ".c",
          std::string(static_cast<size_t>(i) * 3, 'x'));
  options.hash_threads = 1;
  Repository one = run();
  options.hash_threads = 8;
  Repository many = run();
  ASSERT_EQ(one.files.size(), 200u);
  ASSERT_EQ(many.files.size(), one.files.size());
  for (size_t i = 0; i < one.files.size(); ++i) {
    EXPECT_EQ(one.files[i].path, many.files[i].path);
    EXPECT_EQ(one.files[i].sha256, many.files[i].sha256);
  }
  EXPECT_TRUE(std::is_sorted(one.files.begin(), one.files.end(),
                             [](const auto& a, const auto& b) { return a.path < b.path; }));
}

TEST_F(Discover, ConfigIgnorePatternsSkipFilesAndWholeDirectories) {
  write("node_modules/pkg/index.ts");
  write("src/node_modules/x.ts");
  write("src/a.test.ts");
  write("src/a.ts");
  Repository r = run();
  EXPECT_THAT(paths(r), ElementsAre("src/a.ts"));
  EXPECT_EQ(fate(r, "node_modules/"), "ignore_pattern");
  EXPECT_EQ(fate(r, "src/node_modules/"), "ignore_pattern");
  EXPECT_EQ(fate(r, "node_modules/pkg/index.ts"), "absent");  // the directory was not entered
  EXPECT_EQ(fate(r, "src/a.test.ts"), "ignore_pattern");
}

TEST_F(Discover, TheRepositorysGitignoreFilesAndInfoExcludeApply) {
  write(".gitignore", "*.gen.c\n/out/\n!keep.gen.c\n");
  write("sub/.gitignore", "local.py\n");
  fs::create_directories(root / ".git/info");
  test::write_file(root / ".git/info/exclude", "secret_notes.py\n");
  write("a.gen.c");
  write("keep.gen.c");
  write("out/x.c");
  write("deep/out/y.c");  // `/out/` is anchored to the root
  write("sub/local.py");
  write("local.py");  // sub/.gitignore applies only below sub/
  write("secret_notes.py");
  Repository r = run();
  EXPECT_THAT(paths(r), ElementsAre("deep/out/y.c", "keep.gen.c", "local.py"));
  EXPECT_EQ(fate(r, "a.gen.c"), "gitignored");
  EXPECT_EQ(fate(r, "out/"), "gitignored");
  EXPECT_EQ(fate(r, "sub/local.py"), "gitignored");
  EXPECT_EQ(fate(r, "secret_notes.py"), "gitignored");
}

TEST_F(Discover, GitattributesLinguistGeneratedAndVendoredAreSkipped) {
  write(".gitattributes", "*.pb.c linguist-generated\nthird_party/** linguist-vendored\n");
  write("lib/.gitattributes", "*.c -linguist-vendored\n");
  write("api.pb.c");
  write("third_party/z.c");
  write("lib/third_party/ok.c");
  write("main.c");
  Repository r = run();
  EXPECT_EQ(fate(r, "api.pb.c"), "generated");
  EXPECT_EQ(fate(r, "third_party/z.c"), "vendored");
  EXPECT_EQ(fate(r, "main.c"), "taken");
}

TEST_F(Discover, SensitiveFilesAreSkippedWhateverTheirExtension) {
  options.allowed_extensions.push_back(".pem");
  options.allowed_extensions.push_back(".json");
  for (const char* name : {".env", ".env.local", "config/.ENV.production", "id_rsa", "id_ed25519",
                           "server.pem", "tls/server.key", "store.p12", ".npmrc", ".netrc",
                           ".git-credentials", "credentials.json", "keystore.jks"})
    write(name, "secret=1\n");
  write("env.py");
  Repository r = run();
  EXPECT_THAT(paths(r), ElementsAre("env.py"));
  for (const auto& s : r.skipped)
    EXPECT_EQ(s.reason, SkipReason::sensitive) << s.file_path;
  EXPECT_EQ(r.skipped.size(), 13u);
}

TEST_F(Discover, SizeBinaryAndEncodingAreChecked) {
  write("big.c", text_lines(1001));
  write("limit.c", text_lines(1000));
  write("nul.c", std::string("int a;\0\0\1", 9));
  write("latin1.py", "name = '\xe9t\xe9'\n");
  write("overlong.py", "x = '\xc0\xaf'\n");
  write("truncated.py", "x = '\xe2\x82");
  write("utf8.py", "name = '\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80'\n");
  Repository r = run();
  EXPECT_EQ(fate(r, "big.c"), "too_large");
  EXPECT_EQ(fate(r, "limit.c"), "taken");
  EXPECT_EQ(fate(r, "nul.c"), "binary");
  EXPECT_EQ(fate(r, "latin1.py"), "not_utf8");
  EXPECT_EQ(fate(r, "overlong.py"), "not_utf8");
  EXPECT_EQ(fate(r, "truncated.py"), "not_utf8");
  EXPECT_EQ(fate(r, "utf8.py"), "taken");
}

// Minified or machine-generated text: a few enormous, dense lines cost hundreds of model calls
// and teach nothing.
TEST_F(Discover, MinifiedFilesAreSkippedButALongLineInNormalCodeIsNot) {
  options.max_file_bytes = 1 << 20;
  options.allowed_extensions.push_back(".js");
  std::string minified;
  while (minified.size() < 200000)
    minified += "function a(b,c){return b+c}var d=a(1,2),e=[d,3,4];if(d>e.length)d=0;";
  write("app.min.js", minified);  // one line of 200 KB
  write("bundle.js", "/*! licence */\n" + minified + "\n" + minified + "\n");
  std::string code;
  for (int i = 0; i < 100; ++i)
    code +=
        "static int f" + std::to_string(i) + "(int x) { return x * " + std::to_string(i) + "; }\n";
  std::string table = "static const int k_table[] = {";
  for (int i = 0; i < 8000; ++i)
    table += std::to_string(i * 7919 % 10007) + ", ";
  write("table.c", code + table + "};\n" + code);
  std::string words = "const char* k_text = \"";
  for (int i = 0; i < 4000; ++i)
    words += "the quick brown fox jumps over the lazy dog ";
  write("text.c", code + words + "\";\n");
  Repository r = run();
  EXPECT_EQ(fate(r, "app.min.js"), "minified");
  EXPECT_EQ(fate(r, "bundle.js"), "minified");
  EXPECT_EQ(fate(r, "table.c"), "taken");
  EXPECT_EQ(fate(r, "text.c"), "taken");
  for (const auto& s : r.skipped) {
    if (to_string(s.reason) == "minified") {
      EXPECT_THAT(s.detail, ::testing::HasSubstr("longest line")) << s.file_path;
    }
  }
}

TEST_F(Discover, SymlinksAreNeverFollowed) {
  write("real.c");
  write("dir/inner.c");
  test::write_file(tmp.path() / "outside.c", "int stolen;\n");
  fs::create_symlink("real.c", root / "link_inside.c");
  fs::create_symlink(tmp.path() / "outside.c", root / "link_outside.c");
  fs::create_symlink("../../../../outside.c", root / "relative_outside.c");
  fs::create_symlink("missing.c", root / "broken.c");
  fs::create_symlink("loop_b.c", root / "loop_a.c");
  fs::create_symlink("loop_a.c", root / "loop_b.c");
  fs::create_symlink("dir", root / "dirlink.c");
  fs::create_symlink("dir", root / "dirlink");
  fs::create_symlink(tmp.path(), root / "escape.c");
  fs::create_directories(root / "cycle");
  fs::create_symlink("..", root / "cycle/up.c");
  Repository r = run();
  EXPECT_THAT(paths(r), ElementsAre("dir/inner.c", "real.c"));
  EXPECT_EQ(fate(r, "link_inside.c"), "symlink");
  EXPECT_EQ(fate(r, "link_outside.c"), "symlink_outside");
  EXPECT_EQ(fate(r, "relative_outside.c"), "symlink_outside");
  EXPECT_EQ(fate(r, "broken.c"), "symlink_broken");
  EXPECT_EQ(fate(r, "loop_a.c"), "symlink_broken");
  // A link is judged as a file, as git stores it, whatever it points to.
  EXPECT_EQ(fate(r, "dirlink.c"), "symlink");
  EXPECT_EQ(fate(r, "dirlink"), "not_source");
  EXPECT_EQ(fate(r, "escape.c"), "symlink_outside");
  EXPECT_EQ(fate(r, "cycle/up.c"), "symlink");
}

TEST_F(Discover, SpecialFilesAreNeverOpened) {
  ASSERT_EQ(mkfifo((root / "pipe.c").c_str(), 0600), 0);
  write("ok.c");
  Repository r = run();  // opening the fifo would block forever
  EXPECT_EQ(fate(r, "pipe.c"), "unreadable");
  EXPECT_EQ(fate(r, "ok.c"), "taken");
}

TEST_F(Discover, HostileNamesAreHandled) {
  write("with space.c");
  write("quote\"s'.c");
  write("caf\xc3\xa9/na\xc3\xafve.py");
  write("new\nline.c");
  write("bad\xff-name.c");
  write("-rf.c");
  Repository r = run();
  EXPECT_EQ(fate(r, "with space.c"), "taken");
  EXPECT_EQ(fate(r, "quote\"s'.c"), "taken");
  EXPECT_EQ(fate(r, "caf\xc3\xa9/na\xc3\xafve.py"), "taken");
  EXPECT_EQ(fate(r, "-rf.c"), "taken");
  EXPECT_EQ(fate(r, "new\nline.c"), "bad_name");
  EXPECT_EQ(fate(r, "bad\xff-name.c"), "bad_name");
}

TEST_F(Discover, DeeplyNestedDirectoriesAreWalked) {
  std::string deep;
  for (int i = 0; i < 300; ++i)
    deep += "d/";
  write(deep + "bottom.c");
  Repository r = run();
  EXPECT_THAT(paths(r), ElementsAre(deep + "bottom.c"));
}

TEST_F(Discover, NestedRepositoriesAndGitDirectoriesAreNotPartOfTheRepository) {
  write(".git/hooks/evil.py");
  write("vendor/other/.git/HEAD", "ref: refs/heads/main\n");
  write("vendor/other/x.c");
  write("y.c");
  Repository r = run();
  EXPECT_THAT(paths(r), ElementsAre("y.c"));
  EXPECT_EQ(fate(r, "vendor/other/"), "nested_repo");
}

TEST_F(Discover, EverySkipHasAReasonAndADetail) {
  write("big.c", std::string(2000, 'a'));
  write(".env", "A=1\n");
  write("notes.txt", "x\n");
  Repository r = run();
  ASSERT_EQ(r.skipped.size(), 3u);
  for (const auto& s : r.skipped) {
    EXPECT_FALSE(to_string(s.reason).empty());
    EXPECT_FALSE(s.detail.empty()) << s.file_path;
  }
}

// Everything hostile at once: every file on disk ends up taken or skipped with the expected
// reason (or inside a directory skipped with one), and nothing outside the repository is read.
TEST_F(Discover, HostileRepositoryEveryFileHasItsFateAndNothingEscapes) {
  std::string deep;
  for (int i = 0; i < 120; ++i)
    deep += "n" + std::to_string(i) + "/";
  std::map<std::string, std::string> expected = {
      {"src/ok.c", "taken"},          {"src/elf.c", "binary"},
      {"src/nul_late.py", "binary"},  // a NUL anywhere, not only in the first 8000 bytes
      {"src/latin1.c", "not_utf8"},   {"src/huge.c", "too_large"},
      {"with space.c", "taken"},      {"quo\"te's.py", "taken"},
      {"line\nbreak.c", "bad_name"},  {"\xe6\x97\xa5\xe6\x9c\xac.py", "taken"},
      {".env", "sensitive"},          {".env.production", "sensitive"},
      {"deploy/id_rsa", "sensitive"}, {"deploy/server.key", "sensitive"},
      {deep + "bottom.c", "taken"},   {"loop1.c", "symlink_broken"},
      {"loop2.c", "symlink_broken"},  {"passwd.c", "symlink_outside"},
      {"etc", "not_source"},  // a link is judged as a file: no allowed extension
      {"etc.c", "symlink_outside"},   {"-n.c", "taken"},
      {"--help.py", "taken"},
  };
  write("src/ok.c");
  write("src/elf.c", std::string("\x7f"
                                 "ELF\x02\x01\x01\0\0\0",
                                 10) +
                         "int x;");
  write("src/nul_late.py", std::string(9000, 'a') + std::string(1, '\0') + "\n");
  write("src/latin1.c", "char* s = \"caf\xe9\";\n");
  write("src/huge.c", std::string(1001, 'x'));
  for (const auto& [path, fate_] : expected)
    if (fate_ == "taken" && path != "src/ok.c" && path != "src/nul_late.py")
      write(path);
  write("line\nbreak.c");
  for (const char* name : {".env", ".env.production", "deploy/id_rsa", "deploy/server.key"})
    write(name, "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n");
  fs::create_symlink("loop2.c", root / "loop1.c");
  fs::create_symlink("loop1.c", root / "loop2.c");
  fs::create_symlink("/etc/passwd", root / "passwd.c");
  fs::create_symlink("/etc", root / "etc");
  fs::create_symlink("/etc", root / "etc.c");
  options.max_file_bytes = 20000;
  write("src/huge.c", std::string(20001, 'x'));

  Repository r = run();
  for (const auto& [path, want] : expected)
    EXPECT_EQ(fate(r, path), want) << path;
  EXPECT_EQ(r.files.size() + r.skipped.size(), expected.size());
  for (const auto& f : r.files) {
    auto real = fs::canonical(root / f.path);
    EXPECT_TRUE(real.string().starts_with(fs::canonical(root).string() + "/")) << f.path;
    EXPECT_EQ(f.sha256.size(), 64u);
  }
  for (const auto& s : r.skipped)
    EXPECT_FALSE(s.detail.empty()) << s.file_path;
}

TEST_F(Discover, LargeFilesAreHashedAcrossReadChunksLikeSha256sum) {
  options.max_file_bytes = 1 << 20;
  // A 4-byte UTF-8 character straddles the 64 KiB read boundary.
  std::string big = text_lines(65534);
  big += "\xF0\x9F\x98\x80";
  big += text_lines(200000, 'b');
  write("big.py", big);
  std::string bad = big;
  bad[150000] = '\xC3';  // a lead byte followed by ASCII, far past the first chunk
  write("bad.py", bad);
  Repository r = run();
  ASSERT_EQ(r.files.size(), 1u);
  EXPECT_EQ(fate(r, "bad.py"), "not_utf8");
  EXPECT_EQ(r.files[0].size, big.size());
  auto oracle = sys::run_process({"sha256sum", (root / "big.py").string()});
  ASSERT_TRUE(oracle && oracle->exit_code == 0);
  EXPECT_EQ(r.files[0].sha256, oracle->output.substr(0, 64));
}

TEST_F(Discover, Utf8ValidationFollowsRfc3629) {
  const std::map<std::string, std::string> cases = {
      {"surrogate.py", "\xED\xA0\x80"}, {"above_max.py", "\xF4\x90\x80\x80"},
      {"f5.py", "\xF5\x80\x80\x80"},    {"lone_continuation.py", "\x80"},
      {"overlong3.py", "\xE0\x80\xAF"}, {"c1.py", "\xC2\x85"},
      {"max.py", "\xF4\x8F\xBF\xBF"},   {"bmp_end.py", "\xEF\xBF\xBF"},
  };
  for (const auto& [name, content] : cases)
    write(name, "x = '" + content + "'\n");
  Repository r = run();
  for (const char* bad :
       {"surrogate.py", "above_max.py", "f5.py", "lone_continuation.py", "overlong3.py"})
    EXPECT_EQ(fate(r, bad), "not_utf8") << bad;
  for (const char* good : {"c1.py", "max.py", "bmp_end.py"})  // valid UTF-8 content
    EXPECT_EQ(fate(r, good), "taken") << good;
}

TEST_F(Discover, TheFirstFailingRuleGivesTheReason) {
  options.ignore_patterns.push_back(".env");
  options.allowed_extensions.push_back(".pem");
  write(".gitignore", "README.md\nignored_link.c\n");
  write(".env", "A=1\n");
  write("README.md", "x\n");
  write("real.c");
  write("cert.pem", "x\n");
  fs::create_symlink("real.c", root / "ignored_link.c");
  fs::create_symlink("cert.pem", root / "link.pem");
  Repository r = run();
  EXPECT_EQ(fate(r, ".env"), "sensitive");             // before ignore_pattern
  EXPECT_EQ(fate(r, "README.md"), "not_source");       // before gitignored
  EXPECT_EQ(fate(r, "ignored_link.c"), "gitignored");  // before symlink
  EXPECT_EQ(fate(r, "link.pem"), "sensitive");         // before symlink
}

TEST_F(Discover, NamesThatWouldFoolATerminalAreRefused) {
  write("c1\xC2\x85name.c");
  write(
      "bidi\xE2\x80\xAE"
      "c.py");
  write("esc\x1b[2J.c");
  Repository r = run();
  EXPECT_EQ(fate(r, "c1\xC2\x85name.c"), "bad_name");
  EXPECT_EQ(fate(r,
                 "bidi\xE2\x80\xAE"
                 "c.py"),
            "bad_name");
  EXPECT_EQ(fate(r, "esc\x1b[2J.c"), "bad_name");
}

TEST_F(Discover, SecretsByPathAndByNameVariants) {
  options.allowed_extensions.push_back(".json");
  for (const char* name : {".envrc", "prod.env", ".env-local", "home/.docker/config.json",
                           "k/.kube/config", "prod.tfvars"})
    write(name, "x\n");
  write("docker/config.json", "{}\n");
  Repository r = run();
  for (const char* name : {".envrc", "prod.env", ".env-local", "home/.docker/config.json",
                           "k/.kube/config", "prod.tfvars"})
    EXPECT_EQ(fate(r, name), "sensitive") << name;
  EXPECT_EQ(fate(r, "docker/config.json"), "taken");
}

TEST_F(Discover, AMissingRepositoryIsUnwalkedNotEmpty) {
  Repository r = discover_repository(tmp.path() / "repos", "github.com/o/missing", options);
  EXPECT_TRUE(r.files.empty());
  EXPECT_THAT(r.unwalked, ElementsAre("github.com/o/missing/"));
  ASSERT_EQ(r.skipped.size(), 1u);
  EXPECT_EQ(r.skipped[0].reason, SkipReason::unreadable);
}

TEST_F(Discover, RuleFilesHaveABudgetPerRepository) {
  std::string rules;
  while (rules.size() < 1000000)
    rules += "pattern_" + std::to_string(rules.size()) + "\n";
  for (int i = 0; i < 10; ++i) {
    write("d" + std::to_string(i) + "/.gitignore", rules);
    write("d" + std::to_string(i) + "/a.c");
  }
  Repository r = run();
  EXPECT_FALSE(r.unwalked.empty());
  EXPECT_LT(r.files.size(), 10u);
  EXPECT_GE(r.files.size(), 7u);
  for (const auto& prefix : r.unwalked)
    EXPECT_EQ(fate(r, prefix.substr(std::string(kRepo).size() + 1)), "unreadable") << prefix;
}

TEST(DiscoverRepositories, FindsRepositoriesAtAnyDepthAndSkipsHiddenDirectories) {
  test::TempDir tmp;
  fs::path repos = tmp.path() / "repos";
  for (const char* dir :
       {"github.com/a/one", "gitlab.example.com_8443/g/sub/two", "local/three-1a2b",
        ".partial/github.com/a/half", "github.com/a/one/nested"})
    fs::create_directories(repos / dir / ".git");
  fs::create_directories(repos / "empty/dir");
  auto found = find_repositories(repos);
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_THAT(*found, ElementsAre("github.com/a/one", "gitlab.example.com_8443/g/sub/two",
                                  "local/three-1a2b"));
}

TEST(DiscoverRepositories, AMissingReposDirHasNone) {
  test::TempDir tmp;
  auto found = find_repositories(tmp.path() / "nope");
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_THAT(*found, IsEmpty());
}

TEST(DiscoverLanguage, KnowsCommonExtensionsAndNames) {
  EXPECT_EQ(language_of("a/b.py"), "python");
  EXPECT_EQ(language_of("x.hpp"), "cpp");
  EXPECT_EQ(language_of("x.CC"), "cpp");
  EXPECT_EQ(language_of("x.h"), "c");
  EXPECT_EQ(language_of("x.tsx"), "typescript");
  EXPECT_EQ(language_of("build/Dockerfile"), "dockerfile");
  EXPECT_EQ(language_of("Makefile"), "makefile");
  EXPECT_EQ(language_of("x.unknownext"), "");
}

}  // namespace
}  // namespace g2d::discover
