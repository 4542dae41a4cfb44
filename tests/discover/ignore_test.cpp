// gitignore semantics checked against git itself: every conformance case builds a real repository,
// writes the .gitignore files and the paths (directories as directories), asks
// `git check-ignore --no-index` and compares IgnoreStack::is_ignored with its answer. The table
// also says what we expect, so a broken oracle (git finding nothing) cannot pass silently.
// Plus direct tests of wildmatch (git's t3070 cases and more) and of the IgnoreList API.
#include "discover/ignore.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "git_oracle.hpp"
#include "support.hpp"
#include "sys/process.hpp"

namespace g2d::discover {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------------------
// wildmatch

struct WildCase {
  const char* pattern;
  const char* text;
  bool match;
};

void expect_wild(const std::vector<WildCase>& cases) {
  for (const auto& c : cases)
    EXPECT_EQ(wildmatch(c.pattern, c.text), c.match)
        << "pattern '" << c.pattern << "' text '" << c.text << "'";
}

TEST(Wildmatch, LiteralsAndEmptyStrings) {
  expect_wild({{"foo", "foo", true},
               {"foo", "bar", false},
               {"", "", true},
               {"", "foo", false},
               {"foo", "", false},
               {"fo", "foo", false},
               {"foo", "fo", false},
               {"@foo", "@foo", true},
               {"@foo", "foo", false},
               {"foo/bar", "foo/bar", true},
               {"Foo", "foo", false}});
}

// A hostile .gitignore cannot stall discovery: patterns of many `**/` components against a path
// of many empty components took time exponential in the number of `**` (the ignore fuzzer's
// timeout: 14 s for one call); each (pattern, text) position is now matched once. Were it
// exponential again, this test would run for hours and fail on ctest's timeout.
TEST(Wildmatch, ManyDoubleStarsAgainstManySlashesAreQuick) {
  std::string pattern;
  for (int i = 0; i < 40; ++i)
    pattern += "**/";
  EXPECT_FALSE(wildmatch(pattern + "*/x", std::string(200, '/') + "y"));
  EXPECT_TRUE(wildmatch(pattern + "*/y", std::string(200, '/') + "a/y"));
  const std::string found = std::string("**/**/******/**/****/***/******/**/*\0\x18*/****", 44);
  EXPECT_FALSE(wildmatch(
      found, std::string(36, '/') + "\nu`ist-vturx\nld" + std::string(27, '/') + "u/***/*"));
  std::string stars;
  for (int i = 0; i < 40; ++i)
    stars += "*a";
  EXPECT_FALSE(wildmatch(stars + "b", std::string(300, 'a')));
  // Steps grow with pattern x text, not faster: 1,000 `**/` against 2,000 '/'.
  std::string many;
  for (int i = 0; i < 1000; ++i)
    many += "**/";
  EXPECT_FALSE(wildmatch(many + "*/x", std::string(2000, '/') + "y"));
  EXPECT_TRUE(wildmatch(many + "y", std::string(2000, '/') + "y"));
  // Patterns and paths up to 4096 bytes are matched; one byte more matches nothing.
  const std::string longest(4096, 'a');
  EXPECT_TRUE(wildmatch(longest, longest));
  EXPECT_FALSE(wildmatch(longest + "a", longest + "a"));
  EXPECT_FALSE(wildmatch("**", longest + "a"));
}

TEST(Wildmatch, StarAndQuestionMarkStopAtSlash) {
  expect_wild({{"*", "", true},
               {"?", "", false},
               {"???", "foo", true},
               {"??", "foo", false},
               {"*", "foo", true},
               {"*", ".hidden", true},
               {"f*", "foo", true},
               {"*f", "foo", false},
               {"*foo*", "foo", true},
               {"*ob*a*r*", "foobar", true},
               {"*ab", "aaaaaaabababab", true},
               {"b*a", "aaabbb", false},
               {"*ba*", "aabcaa", false},
               {"*", "foo/bar", false},
               {"foo*bar", "foo/baz/bar", false},
               {"foo?bar", "foo/bar", false},
               {"foo/*", "foo/bar", true},
               {"foo/*", "foo/bba/arr", false},
               {"foo*", "foo/bba/arr", false},
               {"foo/*arr", "foo/bba/arr", false},
               {"foo/*z", "foo/bba/arr", false},
               {"*/*/*", "foo", false},
               {"*/*/*", "foo/bar", false},
               {"*/*/*", "foo/bba/arr", true},
               {"*/*/*", "foo/bb/aa/rr", false},
               {"*X*i", "abcXdefXghi", true},
               {"*X*i", "ab/cXd/efXg/hi", false},
               {"*Xg*i", "ab/cXd/efXg/hi", false},
               {"*/*X*/*/*i", "ab/cXd/efXg/hi", true},
               {"-*-*-*-*-*-*-12-*-*-*-m-*-*-*",
                "-adobe-courier-bold-o-normal--12-120-75-75-m-70-iso8859-1", true},
               {"-*-*-*-*-*-*-12-*-*-*-m-*-*-*",
                "-adobe-courier-bold-o-normal--12-120-75-75-X-70-iso8859-1", false},
               {"-*-*-*-*-*-*-12-*-*-*-m-*-*-*",
                "-adobe-courier-bold-o-normal--12-120-75-75-/-70-iso8859-1", false},
               {"XXX/*/*/*/*/*/*/12/*/*/*/m/*/*/*",
                "XXX/adobe/courier/bold/o/normal//12/120/75/75/m/70/iso8859/1", true},
               {"XXX/*/*/*/*/*/*/12/*/*/*/m/*/*/*",
                "XXX/adobe/courier/bold/o/normal//12/120/75/75/X/70/iso8859/1", false}});
}

TEST(Wildmatch, DoubleStarCrossesDirectoriesOnlyBetweenSlashes) {
  expect_wild({{"foo**bar", "foo/baz/bar", false},
               {"foo**bar", "foobazbar", true},
               {"foo/**/bar", "foo/baz/bar", true},
               {"foo/**/**/bar", "foo/baz/bar", true},
               {"foo/**/bar", "foo/b/a/z/bar", true},
               {"foo/**/**/bar", "foo/b/a/z/bar", true},
               {"foo/**/bar", "foo/bar", true},
               {"foo/**/**/bar", "foo/bar", true},
               {"foo/**/bar", "foo/xbar", false},
               {"**/foo", "foo", true},
               {"**/foo", "XXX/foo", true},
               {"**/foo", "bar/baz/foo", true},
               {"*/foo", "bar/baz/foo", false},
               {"**/bar*", "foo/bar/baz", false},
               {"**/bar/*", "deep/foo/bar/baz", true},
               {"**/bar/*", "deep/foo/bar/baz/", false},
               {"**/bar/**", "deep/foo/bar/baz/", true},
               {"**/bar/*", "deep/foo/bar", false},
               {"**/bar/**", "deep/foo/bar/", true},
               {"**/bar**", "foo/bar/baz", false},
               {"*/bar/**", "foo/bar/baz/x", true},
               {"*/bar/**", "deep/foo/bar/baz/x", false},
               {"**/bar/*/*", "deep/foo/bar/baz/x", true},
               {"**/t[o]", "foo/bar/baz/to", true},
               {"**/*a*b*g*n*t", "abcd/abcdefg/abcdefghijk/abcdefghijklmnop.txt", true},
               {"**/*a*b*g*n*t", "abcd/abcdefg/abcdefghijk/abcdefghijklmnop.txtz", false},
               {"**/**/**", "foo/bb/aa/rr", true},
               {"**/*X*/**/*i", "ab/cXd/efXg/hi", true},
               {"foo/**", "foo/bba/arr", true},
               {"foo/**", "foo", false},
               {"foo**", "foo/bba/arr", false},
               {"foo/**arr", "foo/bba/arr", false},
               {"foo/**z", "foo/bba/arr", false},
               {"**", "a/b/c", true},
               {"***/foo", "a/b/foo", true},
               {"a/***", "a/b/c", true},
               {"a***b", "a/b", false},
               {"a***b", "axxb", true},
               {"**\\/foo", "a/b/foo", true}});
}

TEST(Wildmatch, BracketsRangesAndNegation) {
  expect_wild({{"*[al]?", "ball", true},
               {"[ten]", "ten", false},
               {"**[!te]", "ten", true},
               {"**[!ten]", "ten", false},
               {"t[a-g]n", "ten", true},
               {"t[!a-g]n", "ten", false},
               {"t[!a-g]n", "ton", true},
               {"t[^a-g]n", "ton", true},
               {"a[]]b", "a]b", true},
               {"a[]-]b", "a-b", true},
               {"a[]-]b", "a]b", true},
               {"a[]-]b", "aab", false},
               {"a[]a-]b", "aab", true},
               {"]", "]", true},
               {"foo[/]bar", "foo/bar", false},
               {"foo[^a-z]bar", "foo/bar", false},
               {"f[^eiu][^eiu][^eiu][^eiu][^eiu]r", "foo/bar", false},
               {"f[^eiu][^eiu][^eiu][^eiu][^eiu]r", "foo-bar", true},
               {"a[c-c]st", "acrt", false},
               {"a[c-c]rt", "acrt", true},
               {"[!]-]", "]", false},
               {"[!]-]", "a", true},
               {"[-]", "-", true},
               {"[--A]", "-", true},
               {"[--A]", "5", true},
               {"[ --]", " ", true},
               {"[ --]", "$", true},
               {"[ --]", "-", true},
               {"[ --]", "0", false},
               {"[---]", "-", true},
               {"[------]", "-", true},
               {"[a-e-n]", "j", false},
               {"[a-e-n]", "-", true},
               {"[!------]", "a", true},
               {"[]-a]", "[", false},
               {"[]-a]", "^", true},
               {"[!]-a]", "^", false},
               {"[!]-a]", "[", true},
               {"[a^bc]", "^", true},
               {"[a-]b]", "-b]", true},
               {"[,]", ",", true},
               {"[,-.]", "-", true},
               {"[,-.]", "+", false},
               {"[,-.]", "-.]", false},
               {"[a-c[:digit:]x-z]", "5", true},
               {"[a-c[:digit:]x-z]", "b", true},
               {"[a-c[:digit:]x-z]", "y", true},
               {"[a-c[:digit:]x-z]", "q", false},
               // Bytes, not characters: a two-byte UTF-8 letter is two members of a set.
               {"caf[\xC3\xA9]", "caf\xC3\xA9", false},
               {"caf[\xC3\xA9][\xC3\xA9]", "caf\xC3\xA9", true},
               {"caf?", "caf\xC3\xA9", false},
               {"caf??", "caf\xC3\xA9", true}});
}

TEST(Wildmatch, PosixCharacterClasses) {
  expect_wild({{"[[:alpha:]][[:digit:]][[:upper:]]", "a1B", true},
               {"[[:digit:][:upper:][:space:]]", "a", false},
               {"[[:digit:][:upper:][:space:]]", "A", true},
               {"[[:digit:][:upper:][:space:]]", "1", true},
               {"[[:digit:][:upper:][:space:]]", " ", true},
               {"[[:digit:][:upper:][:space:]]", ".", false},
               {"[[:digit:][:punct:][:space:]]", ".", true},
               {"[[:xdigit:]]", "5", true},
               {"[[:xdigit:]]", "f", true},
               {"[[:xdigit:]]", "D", true},
               {"[[:xdigit:]]", "g", false},
               {"[[:alnum:][:alpha:][:blank:][:cntrl:][:digit:][:graph:][:lower:][:print:][:punct:]"
                "[:space:][:upper:][:xdigit:]]",
                "_", true},
               {"[^[:alnum:][:alpha:][:blank:][:cntrl:][:digit:][:lower:][:space:][:upper:]"
                "[:xdigit:]]",
                ".", true},
               {"[[:blank:]]", "\t", true},
               {"[[:cntrl:]]", "\x01", true},
               {"[[:lower:]]", "A", false},
               {"[[:print:]]", " ", true},
               {"[[:graph:]]", " ", false},
               {"[[:alpha:]]", "\xC3", false},
               {"[[:digit:]]", "/", false}});
}

TEST(Wildmatch, MalformedClassesAndBracketsMatchNothing) {
  expect_wild({{"[[:digit:][:upper:][:spaci:]]", "1", false},
               {"[[::]ab]", "[ab]", false},
               {"[[:]ab]", "[ab]", true},
               {"[[:digit]ab]", "[ab]", true},
               {"[[]ab]", "[ab]", true},
               {"a[]b", "ab", false},
               {"a[]b", "a[]b", false},
               {"ab[", "ab[", false},
               {"[!", "ab", false},
               {"[-", "ab", false},
               {"[a-", "-", false},
               {"[!a-", "-", false},
               {"[\\]", "\\", false},
               {"*[abc", "x[abc", false},
               {"[[:alpha:]", "a", false}});
}

TEST(Wildmatch, BackslashEscapes) {
  expect_wild({{"foo\\*", "foo*", true},    {"foo\\*bar", "foobar", false},
               {"f\\\\oo", "f\\oo", true},  {"\\[ab]", "[ab]", true},
               {"[\\[:]ab]", "[ab]", true}, {"\\??\\?b", "?a?b", true},
               {"\\a\\b\\c", "abc", true},  {"\\", "", false},
               {"\\", "\\", false},         {"*/\\", "XXX/\\", false},
               {"*/\\\\", "XXX/\\", true},  {"[\\\\-^]", "]", true},
               {"[\\\\-^]", "[", false},    {"[\\-_]", "-", true},
               {"[\\]]", "]", true},        {"[\\]]", "\\]", false},
               {"[\\]]", "\\", false},      {"[\\\\]", "\\", true},
               {"[!\\\\]", "\\", false},    {"[A-\\\\]", "G", true},
               {"[\\\\,]", ",", true},      {"[\\\\,]", "\\", true},
               {"[\\1-\\3]", "2", true},    {"[\\1-\\3]", "3", true},
               {"[\\1-\\3]", "4", false},   {"[[-\\]]", "\\", true},
               {"[[-\\]]", "[", true},      {"[[-\\]]", "]", true},
               {"[[-\\]]", "-", false}});
}

// ---------------------------------------------------------------------------------------------
// The oracle: git check-ignore in a real repository.

enum class Kind { file, dir };
enum class Want { kept, ignored };

struct Case {
  std::string path;
  Kind kind;
  Want want;  // what git decides; checked against git itself
};

struct IgnoreFile {
  std::string dir;  // "" = the root; the special dir ".git/info" holds info/exclude
  std::string text;
};

constexpr Kind file = Kind::file;
constexpr Kind dir = Kind::dir;
constexpr Want kept = Want::kept;
constexpr Want ignored = Want::ignored;

class GitIgnore : public GitOracleTest {
 protected:
  // A fresh repository holding `files` and every path of `cases`; its root, or nullopt (and a test
  // failure) when it cannot be built.
  std::optional<fs::path> make_repo(const std::vector<IgnoreFile>& files,
                                    const std::vector<Case>& cases) {
    fs::path repo = m_tmp / ("repo" + std::to_string(m_repos++));
    fs::create_directories(repo);
    auto init = git(repo, {"init", "-q"});
    if (!init || init->exit_code != 0) {
      ADD_FAILURE() << "git init failed: " << (init ? init->output : "");
      return std::nullopt;
    }
    for (const auto& f : files) {
      fs::path name = f.dir == ".git/info" ? fs::path("exclude") : fs::path(".gitignore");
      test::write_file(f.dir.empty() ? repo / name : repo / f.dir / name, f.text);
    }
    for (const auto& c : cases) {
      std::error_code ec;
      fs::path p = repo / c.path;
      if (c.kind == Kind::dir) {
        fs::create_directories(p, ec);
      } else if (!fs::exists(p)) {
        fs::create_directories(p.parent_path(), ec);
        if (!ec)
          test::write_file(p, "");
      }
      if (ec || (c.kind == Kind::dir) != fs::is_directory(p)) {
        ADD_FAILURE() << "cannot create " << c.path << " as a " << (c.kind == dir ? "dir" : "file");
        return std::nullopt;
      }
    }
    return repo;
  }

  // git's verdict for each case, from one `check-ignore -v -n` run. Lines come in argument order
  // as "source:line:pattern<TAB>path" ("::<TAB>path" when nothing matched); a `!` pattern means
  // the path is not ignored (exactly what `-q` would say). Also returns the matching patterns.
  static std::optional<std::vector<std::pair<bool, std::string>>> oracle(
      const fs::path& repo, const std::vector<Case>& cases) {
    std::vector<std::string> args = {
        "-c", "core.quotePath=false", "check-ignore", "--no-index", "-v", "-n", "--"};
    for (const auto& c : cases)
      args.push_back(c.path);
    auto result = git(repo, args);
    if (!result)
      return std::nullopt;
    if (result->exit_code != 0 && result->exit_code != 1) {
      ADD_FAILURE() << "git check-ignore failed: " << result->output;
      return std::nullopt;
    }
    std::vector<std::pair<bool, std::string>> verdicts;
    std::string_view out = result->output;
    while (!out.empty()) {
      size_t eol = out.find('\n');
      std::string_view line = out.substr(0, eol);
      out.remove_prefix(eol == std::string_view::npos ? out.size() : eol + 1);
      size_t tab = line.rfind('\t');
      if (tab == std::string_view::npos) {
        ADD_FAILURE() << "unexpected git output line: " << line;
        return std::nullopt;
      }
      std::string_view source = line.substr(0, tab);
      if (source == "::") {
        verdicts.emplace_back(false, "");
        continue;
      }
      size_t colon = source.find(':');
      size_t colon2 = source.find(':', colon + 1);
      std::string_view pattern = source.substr(colon2 + 1);
      verdicts.emplace_back(!pattern.empty() && pattern.front() != '!', std::string(source));
    }
    if (verdicts.size() != cases.size()) {
      ADD_FAILURE() << "git answered " << verdicts.size() << " lines for " << cases.size()
                    << " paths:\n"
                    << result->output;
      return std::nullopt;
    }
    return verdicts;
  }

  // The conformance check: the table agrees with git, and IgnoreStack agrees with git.
  void expect_conformance(const std::vector<IgnoreFile>& files, const std::vector<Case>& cases) {
    auto repo = make_repo(files, cases);
    if (!repo)
      return;
    auto verdicts = oracle(*repo, cases);
    if (!verdicts)
      return;
    IgnoreStack stack;
    for (const auto& f : files)  // info/exclude first: the root .gitignore, added later, wins
      if (f.dir == ".git/info")
        stack.add("", f.text);
    for (const auto& f : files)
      if (f.dir != ".git/info")
        stack.add(f.dir, f.text);
    for (size_t i = 0; i < cases.size(); ++i) {
      const Case& c = cases[i];
      const auto& [git_ignores, git_pattern] = (*verdicts)[i];
      std::string what = c.path + (c.kind == dir ? " (dir)" : " (file)") +
                         (git_pattern.empty() ? "" : ", git matched " + git_pattern);
      EXPECT_EQ(git_ignores, c.want == ignored) << "the table is wrong about " << what;
      EXPECT_EQ(stack.is_ignored(c.path, c.kind == dir), git_ignores) << what;
    }
  }

  int m_repos = 0;
};

// ---------------------------------------------------------------------------------------------
// The conformance table.

TEST_F(GitIgnore, PlainNamesMatchAtAnyDepth) {
  expect_conformance({{"", "foo\nbar.txt\n"}}, {{"foo", file, ignored},
                                                {"sub/foo", file, ignored},
                                                {"sub", dir, kept},
                                                {"foo2", file, kept},
                                                {"afoo", file, kept},
                                                {"bar.txt", file, ignored},
                                                {"deep/er/bar.txt", file, ignored},
                                                {"bar.txt.bak", file, kept},
                                                {"d/foo", dir, ignored},
                                                {"d/foo/x", file, ignored}});
}

TEST_F(GitIgnore, ExtensionsAndSuffixes) {
  expect_conformance({{"", "*.o\n*.tar.gz\n*~\n"}}, {{"a.o", file, ignored},
                                                     {"src/b.o", file, ignored},
                                                     {"a.oo", file, kept},
                                                     {"o", file, kept},
                                                     {".o", file, ignored},
                                                     {"x.tar.gz", file, ignored},
                                                     {"x.gz", file, kept},
                                                     {"notes.txt~", file, ignored},
                                                     {"a.c", file, kept},
                                                     {"obj.o", dir, ignored},
                                                     {"obj.o/a.c", file, ignored}});
}

TEST_F(GitIgnore, StarAndQuestionMarkNeverMatchSlash) {
  expect_conformance({{"", "/a*b\n?x\nd/?/e\n"}}, {{"a1b", file, ignored},
                                                   {"ab", file, ignored},
                                                   {"a/b", file, kept},
                                                   {"sub/a1b", file, kept},
                                                   {"ax", file, ignored},
                                                   {"x", file, kept},
                                                   {"sub/bx", file, ignored},
                                                   {"abx", file, kept},
                                                   {"d/1/e", file, ignored},
                                                   {"d/12/e", file, kept},
                                                   {"d/1/2/e", file, kept}});
}

TEST_F(GitIgnore, BracketsRangesAndNegatedClasses) {
  expect_conformance({{"", "file[0-9].txt\n*.py[cod]\n[!a]*.md\n[^b]*.rst\nx[-z]\ny[a-]\n"}},
                     {{"file1.txt", file, ignored},
                      {"filea.txt", file, kept},
                      {"file10.txt", file, kept},
                      {"m.pyc", file, ignored},
                      {"m.pyo", file, ignored},
                      {"pkg/m.pyd", file, ignored},
                      {"m.py", file, kept},
                      {"a.md", file, kept},
                      {"b.md", file, ignored},
                      {"sub/a.md", file, kept},
                      {"b.rst", file, kept},
                      {"c.rst", file, ignored},
                      {"x-", file, ignored},
                      {"xz", file, ignored},
                      {"xy", file, kept},
                      {"ya", file, ignored},
                      {"y-", file, ignored},
                      {"yb", file, kept}});
}

TEST_F(GitIgnore, PosixClassesAndUnknownClasses) {
  expect_conformance({{"",
                       "[[:digit:]]*.log\n[[:upper:]][[:lower:]]*.txt\n*[[:space:]]*.tmp\n"
                       "v[[:alpha:][:punct:]].dat\n[[:bogus:]]*\n"}},
                     {{"1.log", file, ignored},
                      {"a.log", file, kept},
                      {"Ab.txt", file, ignored},
                      {"AB.txt", file, kept},
                      {"ab.txt", file, kept},
                      {"my file.tmp", file, ignored},
                      {"myfile.tmp", file, kept},
                      {"va.dat", file, ignored},
                      {"v_.dat", file, ignored},
                      {"v1.dat", file, kept},
                      {"bogus", file, kept}});
}

TEST_F(GitIgnore, UnterminatedBracketsMatchNothing) {
  expect_conformance({{"", "[abc\nok[\n*[z\n"}}, {{"[abc", file, kept},
                                                  {"a", file, kept},
                                                  {"ok[", file, kept},
                                                  {"ok", file, kept},
                                                  {"x[z", file, kept}});
}

TEST_F(GitIgnore, BackslashEscapesHashBangAndGlobs) {
  expect_conformance({{"", "\\#hash\n\\!bang\n\\*literal\nq\\?\nback\\\\slash\n"}},
                     {{"#hash", file, ignored},
                      {"hash", file, kept},
                      {"!bang", file, ignored},
                      {"bang", file, kept},
                      {"*literal", file, ignored},
                      {"xliteral", file, kept},
                      {"q?", file, ignored},
                      {"qa", file, kept},
                      {"back\\slash", file, ignored}});
}

TEST_F(GitIgnore, TrailingSpacesTrimmedUnlessEscaped) {
  expect_conformance({{"", "trail   \nesc\\ \nboth\\  \ntwo \\ \ntab\t\nbs\\\n"}},
                     {{"trail", file, ignored},
                      {"trail ", file, kept},
                      {"esc ", file, ignored},
                      {"esc", file, kept},
                      {"both ", file, ignored},
                      {"both", file, kept},
                      {"two  ", file, ignored},
                      {"two", file, kept},
                      {"tab\t", file, ignored},
                      {"tab", file, kept},
                      {"bs", file, kept},
                      {"bs\\", file, kept}});
}

TEST_F(GitIgnore, CommentsBlankLinesAndLeadingSpaces) {
  expect_conformance({{"", "# ignore me\n\n   \n#*.c\n  lead\na#b\n\\#x\n"}},
                     {{"# ignore me", file, kept},
                      {"a.c", file, kept},
                      {"  lead", file, ignored},
                      {"lead", file, kept},
                      {"a#b", file, ignored},
                      {"#x", file, ignored},
                      {"#*.c", file, kept}});
}

TEST_F(GitIgnore, ByteOrderMarkCrlfLinesAndMissingFinalNewline) {
  expect_conformance({{"",
                       "\xEF\xBB\xBF"
                       "bom\r\ncrlf\r\n*.tmp\r\n\r\nlast"}},
                     {{"bom", file, ignored},
                      {"crlf", file, ignored},
                      {"crlf\r", file, kept},
                      {"a.tmp", file, ignored},
                      {"last", file, ignored},
                      {"las", file, kept}});
}

TEST_F(GitIgnore, NegationReincludesAndLastMatchWins) {
  expect_conformance({{"",
                       "*.log\n!keep.log\n!important/*.log\n!x.tmp\n*.tmp\n*.bak\n"
                       "!keep.bak\nkeep.bak\n"}},
                     {{"a.log", file, ignored},
                      {"keep.log", file, kept},
                      {"sub/keep.log", file, kept},
                      {"important/x.log", file, kept},
                      {"important/sub/x.log", file, ignored},
                      {"important", dir, kept},
                      {"x.tmp", file, ignored},
                      {"keep.bak", file, ignored},
                      {"y.bak", file, ignored}});
}

TEST_F(GitIgnore, NegationCannotReincludeInsideAnExcludedDirectory) {
  expect_conformance({{"",
                       "logs/\n!logs/keep.log\nbuild\n!build/keep\ncache/*\n!cache/keep\n"
                       "!cache/sub/keep\n"}},
                     {{"logs", dir, ignored},
                      {"logs/keep.log", file, ignored},
                      {"logs/x", file, ignored},
                      {"build", dir, ignored},
                      {"build/keep", file, ignored},
                      {"cache", dir, kept},
                      {"cache/keep", file, kept},
                      {"cache/other", file, ignored},
                      {"cache/sub", dir, ignored},
                      {"cache/sub/keep", file, ignored}});
}

TEST_F(GitIgnore, WhitelistEverythingExceptDirectoriesAndSources) {
  expect_conformance({{"", "*\n!*/\n!*.c\n"}}, {{"a.c", file, kept},
                                                {"a.h", file, ignored},
                                                {"src", dir, kept},
                                                {"src/b.c", file, kept},
                                                {"src/b.h", file, ignored},
                                                {"src/deep/c.c", file, kept}});
}

TEST_F(GitIgnore, LeadingSlashAnchorsToTheDirectory) {
  expect_conformance({{"", "/root.txt\n/build/\n/*.c\n"}}, {{"root.txt", file, ignored},
                                                            {"sub/root.txt", file, kept},
                                                            {"build", dir, ignored},
                                                            {"sub/build", dir, kept},
                                                            {"main.c", file, ignored},
                                                            {"sub/main.c", file, kept}});
}

TEST_F(GitIgnore, MiddleSlashAnchorsToo) {
  expect_conformance({{"", "foo/bar\n*/baz\ndoc/a.txt\n"}}, {{"foo/bar", file, ignored},
                                                             {"x/foo/bar", file, kept},
                                                             {"a/baz", file, ignored},
                                                             {"a/b/baz", file, kept},
                                                             {"baz", file, kept},
                                                             {"doc/a.txt", file, ignored},
                                                             {"sub/doc/a.txt", file, kept}});
}

TEST_F(GitIgnore, TrailingSlashMatchesDirectoriesOnly) {
  expect_conformance({{"", "out/\n*.d/\nx/y/\n"}}, {{"out", dir, ignored},
                                                    {"sub/out", file, kept},
                                                    {"x/out", dir, ignored},
                                                    {"x/out/y", file, ignored},
                                                    {"dep.d", dir, ignored},
                                                    {"sub/dep.d", file, kept},
                                                    {"x/y", dir, ignored},
                                                    {"z/x/y", dir, kept}});
}

TEST_F(GitIgnore, LeadingDoubleStarMatchesAtAnyDepth) {
  expect_conformance({{"", "**/logs\n**/cache/*.tmp\n/**/top\n"}},
                     {{"logs", file, ignored},
                      {"a/logs", dir, ignored},
                      {"a/logs/x", file, ignored},
                      {"mylogs", file, kept},
                      {"cache/x.tmp", file, ignored},
                      {"a/cache/x.tmp", file, ignored},
                      {"a/cache/sub/x.tmp", file, kept},
                      {"top", file, ignored},
                      {"q/r/top", file, ignored}});
}

TEST_F(GitIgnore, TrailingDoubleStarMatchesInsideButNotTheDirectory) {
  expect_conformance({{"", "abc/**\n!abc/keep\n!abc/sub/keep\n"}}, {{"abc", dir, kept},
                                                                    {"abc/x", file, ignored},
                                                                    {"abc/keep", file, kept},
                                                                    {"abc/sub", dir, ignored},
                                                                    {"abc/sub/keep", file, ignored},
                                                                    {"abc/sub/y", file, ignored}});
}

TEST_F(GitIgnore, InnerDoubleStarMatchesZeroOrMoreDirectories) {
  expect_conformance({{"", "a/**/b\ndoc/**/*.txt\n"}}, {{"a/b", file, ignored},
                                                        {"a/x/b", file, ignored},
                                                        {"a/x/y/b", file, ignored},
                                                        {"a/xb", file, kept},
                                                        {"b", file, kept},
                                                        {"x/a/b", file, kept},
                                                        {"doc/a.txt", file, ignored},
                                                        {"doc/x/y/a.txt", file, ignored},
                                                        {"doc/a.md", file, kept}});
}

// Where git is surprising: after the literal prefix of an anchored pattern is compared, the rest
// is matched on its own, so `foo**/bar` behaves like `foo` + `**/bar`.
TEST_F(GitIgnore, StarRunsAndDoubleStarsGluedToNames) {
  expect_conformance({{"", "***/deep\nfoo**/bar\nx**y\n/top/***\na/**b\n**end\n"}},
                     {{"deep", file, ignored},
                      {"p/q/deep", file, ignored},
                      {"foo/bar", file, ignored},
                      {"foo/x/bar", file, ignored},
                      {"fooz/q/bar", file, ignored},
                      {"xfoo/bar", file, kept},
                      {"xay", file, ignored},
                      {"xy", file, ignored},
                      {"s/xzzy", file, ignored},
                      {"top", dir, kept},
                      {"top/a", file, ignored},
                      {"top/b/c", file, ignored},
                      {"a/xb", file, ignored},
                      {"a/b", file, ignored},
                      {"a/x/b", file, kept},
                      {"end", file, ignored},
                      {"s/weekend", file, ignored}});
}

TEST_F(GitIgnore, DoubleStarSlashAloneIgnoresEveryDirectory) {
  expect_conformance(
      {{"", "**/\n"}},
      {{"d", dir, ignored}, {"d/f", file, ignored}, {"f", file, kept}, {".hidden", dir, ignored}});
}

TEST_F(GitIgnore, DegeneratePatternsMatchNothing) {
  expect_conformance({{"", "!\n/\n\\\n//\n!/\n"}}, {{"x", file, kept},
                                                    {"d", dir, kept},
                                                    {"d/y", file, kept},
                                                    {"\\", file, kept},
                                                    {"!", file, kept}});
}

TEST_F(GitIgnore, NestedGitignoreOverridesItsParent) {
  expect_conformance({{"", "*.txt\n!special.md\n"}, {"sub", "!keep.txt\n*.md\n"}},
                     {{"keep.txt", file, ignored},
                      {"sub/keep.txt", file, kept},
                      {"sub/deeper/keep.txt", file, kept},
                      {"sub/other.txt", file, ignored},
                      {"other/keep.txt", file, ignored},
                      {"special.md", file, kept},
                      {"sub/special.md", file, ignored}});
}

TEST_F(GitIgnore, NestedPatternsAreRelativeToTheirDirectory) {
  expect_conformance({{"sub", "/only-here\nnested/path\n*.gen\ndir/\n"}},
                     {{"sub/only-here", file, ignored},
                      {"only-here", file, kept},
                      {"sub/x/only-here", file, kept},
                      {"sub/nested/path", file, ignored},
                      {"nested/path", file, kept},
                      {"sub/x/nested/path", file, kept},
                      {"sub/a.gen", file, ignored},
                      {"sub/x/a.gen", file, ignored},
                      {"a.gen", file, kept},
                      {"sub/dir", dir, ignored},
                      {"dir", dir, kept}});
}

TEST_F(GitIgnore, ThreeLevelsDeepestDecides) {
  expect_conformance({{"", "*.dat\n"}, {"a", "!*.dat\n"}, {"a/b", "*.dat\n!keep.dat\n"}},
                     {{"x.dat", file, ignored},
                      {"a/x.dat", file, kept},
                      {"a/b/x.dat", file, ignored},
                      {"a/b/keep.dat", file, kept},
                      {"a/b/c/x.dat", file, ignored},
                      {"a/c/x.dat", file, kept}});
}

TEST_F(GitIgnore, IgnoredDirectoryHidesItsOwnGitignore) {
  expect_conformance({{"", "vendor/\nlib\n!a/b\n"}, {"vendor", "!keep\n"}, {"lib", "!*\n"}},
                     {{"vendor", dir, ignored},
                      {"vendor/keep", file, ignored},
                      {"lib", dir, ignored},
                      {"lib/x.c", file, ignored},
                      {"a/lib", dir, ignored},
                      {"a/lib/b", file, ignored}});
}

TEST_F(GitIgnore, RootPatternsReachIntoDirectoriesWithTheirOwnGitignore) {
  expect_conformance({{"", "sub/inner.txt\nsub/gen/\n"}, {"sub", "other\n"}},
                     {{"sub/inner.txt", file, ignored},
                      {"sub/gen", dir, ignored},
                      {"sub/gen/x", file, ignored},
                      {"sub/other", file, ignored},
                      {"other", file, kept}});
}

TEST_F(GitIgnore, InfoExcludeLosesToTheRootGitignore) {
  expect_conformance({{".git/info", "*.secret\n!public.log\n*.tmp\n"}, {"", "*.log\n!keep.tmp\n"}},
                     {{"a.secret", file, ignored},
                      {"public.log", file, ignored},
                      {"x.log", file, ignored},
                      {"x.tmp", file, ignored},
                      {"keep.tmp", file, kept},
                      {"sub/keep.tmp", file, kept}});
}

TEST_F(GitIgnore, CaseSensitive) {
  expect_conformance({{"", "*.TXT\nMakefile.local\n"}}, {{"a.TXT", file, ignored},
                                                         {"a.txt", file, kept},
                                                         {"makefile.local", file, kept},
                                                         {"Makefile.local", file, ignored}});
}

TEST_F(GitIgnore, DotfilesAreOrdinaryNames) {
  expect_conformance({{"", ".*\n!.gitkeep\n*.swp\n"}}, {{".env", file, ignored},
                                                        {".gitkeep", file, kept},
                                                        {"sub/.hidden", file, ignored},
                                                        {"visible", file, kept},
                                                        {".config", dir, ignored},
                                                        {".config/x", file, ignored},
                                                        {"d/x.swp", file, ignored}});
}

TEST_F(GitIgnore, SpacesAndNonAsciiNamesMatchBytewise) {
  expect_conformance({{"",
                       "my file.txt\ncaf\xC3\xA9.txt\ncaf?.md\nna\xC3\xAFve/\n*.\xE6\x97\xA5\n"
                       "\xC3\xBC*\n"}},
                     {{"my file.txt", file, ignored},
                      {"my  file.txt", file, kept},
                      {"caf\xC3\xA9.txt", file, ignored},
                      {"cafe.txt", file, kept},
                      {"caf\xC3\xA9.md", file, kept},
                      {"cafe.md", file, ignored},
                      {"na\xC3\xAFve", dir, ignored},
                      {"na\xC3\xAFve/x", file, ignored},
                      {"a.\xE6\x97\xA5", file, ignored},
                      {"d/\xC3\xBC"
                       "ber",
                       file, ignored},
                      {"uber", file, kept}});
}

// The batched verbose oracle says what `git check-ignore --no-index -q <path>` says, path by path.
TEST_F(GitIgnore, BatchedOracleAgreesWithQuietExitCodes) {
  std::vector<IgnoreFile> files = {{"", "*.log\n!keep.log\nlogs/\n!logs/keep\n"}};
  std::vector<Case> cases = {{"a.log", file, ignored},
                             {"keep.log", file, kept},
                             {"logs", dir, ignored},
                             {"logs/keep", file, ignored},
                             {"a.c", file, kept}};
  auto repo = make_repo(files, cases);
  ASSERT_TRUE(repo);
  auto verdicts = oracle(*repo, cases);
  ASSERT_TRUE(verdicts);
  for (size_t i = 0; i < cases.size(); ++i) {
    auto quiet = git(*repo, {"check-ignore", "--no-index", "-q", "--", cases[i].path});
    ASSERT_TRUE(quiet);
    ASSERT_TRUE(quiet->exit_code == 0 || quiet->exit_code == 1) << quiet->output;
    EXPECT_EQ(quiet->exit_code == 0, (*verdicts)[i].first) << cases[i].path;
    EXPECT_EQ(quiet->exit_code == 0, cases[i].want == ignored) << cases[i].path;
  }
}

// ---------------------------------------------------------------------------------------------
// The API beyond the oracle.

TEST_F(GitIgnore, ListReportsIncludedForANegatedMatch) {
  IgnoreList list("*.log\n!keep.log\n", "");
  EXPECT_FALSE(list.empty());
  EXPECT_EQ(list.match("a.log", false), IgnoreMatch::ignored);
  EXPECT_EQ(list.match("keep.log", false), IgnoreMatch::included);
  EXPECT_EQ(list.match("a.c", false), IgnoreMatch::none);
  EXPECT_TRUE(IgnoreList().empty());
  EXPECT_TRUE(IgnoreList("# only a comment\n\n", "").empty());
}

TEST_F(GitIgnore, ListOnlyMatchesBelowItsBase) {
  IgnoreList list("*.log\n/top\n", "sub/dir");
  EXPECT_EQ(list.match("a.log", false), IgnoreMatch::none);
  EXPECT_EQ(list.match("sub/a.log", false), IgnoreMatch::none);
  EXPECT_EQ(list.match("sub/dirx/a.log", false), IgnoreMatch::none);
  EXPECT_EQ(list.match("sub/dir", true), IgnoreMatch::none);
  EXPECT_EQ(list.match("sub/dir/a.log", false), IgnoreMatch::ignored);
  EXPECT_EQ(list.match("sub/dir/x/a.log", false), IgnoreMatch::ignored);
  EXPECT_EQ(list.match("sub/dir/top", false), IgnoreMatch::ignored);
  EXPECT_EQ(list.match("sub/dir/x/top", false), IgnoreMatch::none);
}

TEST_F(GitIgnore, ListFromConfigLines) {
  IgnoreList list(std::vector<std::string>{"node_modules/", "*.test.*", "# comment", "",
                                           "!keep.test.js", "trailing   "},
                  "");
  EXPECT_EQ(list.match("node_modules", true), IgnoreMatch::ignored);
  EXPECT_EQ(list.match("node_modules", false), IgnoreMatch::none);
  EXPECT_EQ(list.match("a/b.test.ts", false), IgnoreMatch::ignored);
  EXPECT_EQ(list.match("keep.test.js", false), IgnoreMatch::included);
  EXPECT_EQ(list.match("trailing", false), IgnoreMatch::ignored);
  EXPECT_EQ(list.match("# comment", false), IgnoreMatch::none);
}

TEST_F(GitIgnore, ListIsACopyableMovableValue) {
  IgnoreList original("*.o\n", "");
  IgnoreList copy(original);
  IgnoreList moved(std::move(original));
  IgnoreList assigned;
  assigned = copy;
  EXPECT_EQ(copy.match("a.o", false), IgnoreMatch::ignored);
  EXPECT_EQ(moved.match("a.o", false), IgnoreMatch::ignored);
  EXPECT_EQ(assigned.match("a.o", false), IgnoreMatch::ignored);
}

TEST_F(GitIgnore, StackMatchLooksAtThePathOnlyIsIgnoredAlsoAtParents) {
  IgnoreStack stack;
  stack.add("", "logs/\n!logs/keep\n*.tmp\n");
  stack.add("sub", "!*.tmp\n");
  EXPECT_EQ(stack.match("logs", true), IgnoreMatch::ignored);
  EXPECT_EQ(stack.match("logs/keep", false), IgnoreMatch::included);
  EXPECT_TRUE(stack.is_ignored("logs/keep", false));
  EXPECT_EQ(stack.match("logs/other", false), IgnoreMatch::none);
  EXPECT_TRUE(stack.is_ignored("logs/other", false));
  EXPECT_EQ(stack.match("sub/a.tmp", false), IgnoreMatch::included);
  EXPECT_FALSE(stack.is_ignored("sub/a.tmp", false));
  EXPECT_EQ(stack.match("a.tmp", false), IgnoreMatch::ignored);
  EXPECT_EQ(stack.match("a.c", false), IgnoreMatch::none);
  EXPECT_FALSE(IgnoreStack().is_ignored("a/b/c", false));
}

TEST_F(GitIgnore, StackAddingTheSameDirectoryTwiceAppends) {
  IgnoreStack stack;
  stack.add("", "*.log\n");      // .git/info/exclude
  stack.add("", "!keep.log\n");  // the root .gitignore, later: wins
  EXPECT_TRUE(stack.is_ignored("a.log", false));
  EXPECT_FALSE(stack.is_ignored("keep.log", false));
}

}  // namespace
}  // namespace g2d::discover
