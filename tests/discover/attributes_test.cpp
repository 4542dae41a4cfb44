// gitattributes semantics for linguist-generated / linguist-vendored, checked against git itself:
// every case builds a real repository with root and nested .gitattributes and compares
// AttributeStack::linguist with `git check-attr linguist-generated linguist-vendored`. git's
// answers map to AttrState as linguist reads them: "set" or any value but "false" is set, "unset"
// or "false" is unset, "unspecified" is unspecified. The table says what we expect too, so a
// broken oracle cannot pass silently.
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "discover/ignore.hpp"
#include "git_oracle.hpp"
#include "support.hpp"
#include "sys/process.hpp"

namespace g2d::discover {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr AttrState unspec = AttrState::unspecified;
constexpr AttrState set = AttrState::set;
constexpr AttrState unset = AttrState::unset;

struct AttrCase {
  std::string path;
  AttrState generated;
  AttrState vendored;
};

struct AttrFile {
  std::string dir;  // "" = the root
  std::string text;
};

const char* name(AttrState state) {
  switch (state) {
    case AttrState::set:
      return "set";
    case AttrState::unset:
      return "unset";
    case AttrState::unspecified:
      break;
  }
  return "unspecified";
}

AttrState from_git(std::string_view info) {
  if (info == "unspecified")
    return AttrState::unspecified;
  if (info == "unset" || info == "false")
    return AttrState::unset;
  return AttrState::set;  // "set", "true" or any other value
}

class GitAttributes : public GitOracleTest {
 protected:
  // git's answer for each case from one `check-attr -z` run: "path NUL attr NUL info NUL" per
  // attribute, in the order asked.
  std::optional<std::vector<LinguistAttrs>> oracle(const std::vector<AttrFile>& files,
                                                   const std::vector<AttrCase>& cases) {
    fs::path repo = m_tmp / "repo";
    fs::create_directories(repo);
    auto init = git(repo, {"init", "-q"});
    if (!init || init->exit_code != 0) {
      ADD_FAILURE() << "git init failed: " << (init ? init->output : "");
      return std::nullopt;
    }
    for (const auto& f : files)
      test::write_file(f.dir.empty() ? repo / ".gitattributes" : repo / f.dir / ".gitattributes",
                       f.text);
    std::vector<std::string> args = {"check-attr", "-z", "linguist-generated", "linguist-vendored",
                                     "--"};
    for (const auto& c : cases)
      args.push_back(c.path);
    auto result = git(repo, args);
    if (!result)
      return std::nullopt;
    if (result->exit_code != 0) {
      ADD_FAILURE() << "git check-attr failed: " << result->output;
      return std::nullopt;
    }
    // Warnings about invalid lines go to stderr (unbuffered, while the files are read) and so
    // come before the records (buffered stdout, written at the end): skip to the first record.
    std::vector<std::string> fields;
    std::string_view out = result->output;
    std::string first_record = cases.front().path + '\0' + "linguist-generated" + '\0';
    size_t start = out.find(first_record);
    if (start == std::string_view::npos) {
      ADD_FAILURE() << "no record for " << cases.front().path << " in git's output:\n" << out;
      return std::nullopt;
    }
    out.remove_prefix(start);
    while (!out.empty()) {
      size_t nul = out.find('\0');
      if (nul == std::string_view::npos) {
        ADD_FAILURE() << "unterminated git output: " << out;
        return std::nullopt;
      }
      fields.emplace_back(out.substr(0, nul));
      out.remove_prefix(nul + 1);
    }
    if (fields.size() != cases.size() * 6) {
      ADD_FAILURE() << "git answered " << fields.size() << " fields for " << cases.size()
                    << " paths:\n"
                    << result->output;
      return std::nullopt;
    }
    std::vector<LinguistAttrs> answers(cases.size());
    for (size_t i = 0; i < fields.size(); i += 3) {
      const size_t index = i / 6;
      if (fields[i] != cases[index].path) {
        ADD_FAILURE() << "git answered for " << fields[i] << " instead of " << cases[index].path;
        return std::nullopt;
      }
      if (fields[i + 1] == "linguist-generated")
        answers[index].generated = from_git(fields[i + 2]);
      else if (fields[i + 1] == "linguist-vendored")
        answers[index].vendored = from_git(fields[i + 2]);
      else
        ADD_FAILURE() << "unexpected attribute " << fields[i + 1];
    }
    return answers;
  }

  void expect_conformance(const std::vector<AttrFile>& files, const std::vector<AttrCase>& cases) {
    auto answers = oracle(files, cases);
    if (!answers)
      return;
    AttributeStack stack;
    for (const auto& f : files)
      stack.add(f.dir, f.text);
    for (size_t i = 0; i < cases.size(); ++i) {
      const AttrCase& c = cases[i];
      const LinguistAttrs& git_says = (*answers)[i];
      EXPECT_EQ(name(git_says.generated), name(c.generated))
          << "the table is wrong about linguist-generated of " << c.path;
      EXPECT_EQ(name(git_says.vendored), name(c.vendored))
          << "the table is wrong about linguist-vendored of " << c.path;
      LinguistAttrs ours = stack.linguist(c.path);
      EXPECT_EQ(name(ours.generated), name(git_says.generated))
          << "linguist-generated of " << c.path;
      EXPECT_EQ(name(ours.vendored), name(git_says.vendored)) << "linguist-vendored of " << c.path;
    }
  }
};

TEST_F(GitAttributes, SetTrueUnsetFalseAndUnspecified) {
  expect_conformance({{"",
                       "*.pb.go linguist-generated\n"
                       "*.min.js linguist-vendored=true\n"
                       "gen.pb.go -linguist-generated\n"
                       "*.lock linguist-generated=false\n"
                       "*.snap linguist-generated linguist-vendored\n"
                       "old.snap !linguist-generated\n"}},
                     {{"a.pb.go", set, unspec},
                      {"x/b.pb.go", set, unspec},
                      {"gen.pb.go", unset, unspec},
                      {"x/gen.pb.go", unset, unspec},
                      {"app.min.js", unspec, set},
                      {"yarn.lock", unset, unspec},
                      {"t.snap", set, set},
                      {"old.snap", unspec, set},
                      {"main.go", unspec, unspec}});
}

TEST_F(GitAttributes, LaterLinesOverrideEarlierOnes) {
  expect_conformance({{"",
                       "*.js linguist-generated\n"
                       "keep.js -linguist-generated\n"
                       "*.js linguist-vendored\n"
                       "lib/*.js -linguist-vendored\n"
                       "x.js linguist-generated -linguist-generated\n"
                       "y.js -linguist-vendored linguist-vendored\n"}},
                     {{"a.js", set, set},
                      {"keep.js", unset, set},
                      {"lib/a.js", set, unset},
                      {"lib/sub/a.js", set, set},
                      {"x.js", unset, set},
                      {"y.js", set, set}});
}

TEST_F(GitAttributes, DeeperFilesOverrideShallowerOnes) {
  expect_conformance({{"", "*.js linguist-generated\n*.css linguist-vendored\n"},
                      {"sub", "*.js -linguist-generated\n*.css !linguist-vendored\n"},
                      {"sub/deep", "special.js linguist-generated\n"}},
                     {{"a.js", set, unspec},
                      {"sub/a.js", unset, unspec},
                      {"sub/x/a.js", unset, unspec},
                      {"a.css", unspec, set},
                      {"sub/a.css", unspec, unspec},
                      {"sub/deep/special.js", set, unspec},
                      {"sub/deep/other.js", unset, unspec}});
}

TEST_F(GitAttributes, DirectoryPatternsMatchNothingDoubleStarMatchesInside) {
  expect_conformance({{"",
                       "vendor/ linguist-vendored\n"
                       "third_party/** linguist-vendored\n"
                       "generated linguist-generated\n"
                       "docs/*.md linguist-generated\n"
                       "/top.txt linguist-generated\n"}},
                     {{"vendor/a.c", unspec, unspec},
                      {"vendor", unspec, unspec},
                      {"third_party/a.c", unspec, set},
                      {"third_party/x/y.c", unspec, set},
                      {"third_party", unspec, unspec},
                      {"generated/x.c", unspec, unspec},
                      {"generated", set, unspec},
                      {"docs/a.md", set, unspec},
                      {"docs/x/a.md", unspec, unspec},
                      {"top.txt", set, unspec},
                      {"sub/top.txt", unspec, unspec}});
}

TEST_F(GitAttributes, NegativePatternsAreIgnored) {
  expect_conformance({{"",
                       "*.txt linguist-generated\n"
                       "!keep.txt -linguist-generated\n"
                       "\\!bang linguist-vendored\n"}},
                     {{"keep.txt", set, unspec}, {"a.txt", set, unspec}, {"!bang", unspec, set}});
}

TEST_F(GitAttributes, CommentsWhitespaceAndInvalidNames) {
  expect_conformance({{"",
                       "# comment linguist-generated\n"
                       "  *.a linguist-generated\n"
                       "\t*.b\tlinguist-vendored\r\n"
                       "*.c linguist-generated bad@name\n"
                       "*.d linguist-generated --x\n"
                       "*.e   linguist-vendored   linguist-generated=true  \n"
                       "[attr]gen linguist-generated\n"
                       "*.f binary\n"
                       "\n"
                       "*.g\n"}},
                     {{"x.a", set, unspec},
                      {"x.b", unspec, set},
                      {"x.c", unspec, unspec},
                      {"x.d", unspec, unspec},
                      {"x.e", set, set},
                      {"# comment", unspec, unspec},
                      {"x.f", unspec, unspec},
                      {"x.g", unspec, unspec}});
}

// A UTF-8 byte order mark is skipped; a line of 2048 bytes or more is ignored (git's limit).
TEST_F(GitAttributes, ByteOrderMarkAndOverlongLines) {
  auto padded = [](std::string line, size_t size) {
    line.resize(size, ' ');
    return line + "\n";
  };
  expect_conformance(
      {{"",
        "\xEF\xBB\xBF"
        "*.bom linguist-generated\n" +
            padded("*.ok linguist-generated", 2047) + padded("*.long linguist-vendored", 2048)}},
      {{"x.bom", set, unspec}, {"x.ok", set, unspec}, {"x.long", unspec, unspec}});
}

TEST_F(GitAttributes, QuotedPatternsAreUnquotedCStyle) {
  expect_conformance({{"",
                       "\"my file.txt\" linguist-generated\n"
                       "\"tab\\there.txt\" linguist-vendored\n"
                       "\"\\\"q\\\".txt\" linguist-generated\n"
                       "\"oct\\303\\251.txt\"linguist-vendored\n"
                       "\"bad\\q.txt\" linguist-generated\n"}},
                     {{"my file.txt", set, unspec},
                      {"my", unspec, unspec},
                      {"tab\there.txt", unspec, set},
                      {"\"q\".txt", set, unspec},
                      {"oct\xC3\xA9.txt", unspec, set},
                      {"\"badq.txt\"", set, unspec},
                      {"bad\\q.txt", unspec, unspec}});
}

TEST_F(GitAttributes, ValuesOtherThanTrueAndFalse) {
  expect_conformance({{"",
                       "*.x linguist-generated=yes\n"
                       "*.y linguist-generated=\n"
                       "*.z -linguist-vendored=true\n"
                       "*.w linguist-vendored !linguist-vendored=true\n"
                       "*.v linguist-generated=False\n"}},
                     {{"a.x", set, unspec},
                      {"a.y", set, unspec},
                      {"a.z", unspec, unset},
                      {"a.w", unspec, unspec},
                      {"a.v", set, unspec}});
}

TEST_F(GitAttributes, NestedPatternsAreRelativeToTheirDirectory) {
  expect_conformance({{"sub",
                       "/x.js linguist-vendored\n"
                       "lib/*.js linguist-generated\n"
                       "*.gen linguist-generated\n"}},
                     {{"sub/x.js", unspec, set},
                      {"sub/y/x.js", unspec, unspec},
                      {"x.js", unspec, unspec},
                      {"sub/lib/a.js", set, unspec},
                      {"lib/a.js", unspec, unspec},
                      {"sub/lib/q/a.js", unspec, unspec},
                      {"sub/a.gen", set, unspec},
                      {"sub/q/a.gen", set, unspec},
                      {"a.gen", unspec, unspec}});
}

TEST_F(GitAttributes, DoubleStarsBracketsAndCase) {
  expect_conformance({{"",
                       "**/gen/** linguist-generated\n"
                       "*.[ch]pp linguist-vendored\n"
                       "**/*.pb.* linguist-generated\n"
                       "*.JS linguist-vendored\n"}},
                     {{"gen/a", set, unspec},
                      {"x/gen/a/b", set, unspec},
                      {"gen", unspec, unspec},
                      {"x.cpp", unspec, set},
                      {"y/x.hpp", unspec, set},
                      {"x.xpp", unspec, unspec},
                      {"a/b.pb.cc", set, unspec},
                      {"a.js", unspec, unspec},
                      {"a.JS", unspec, set}});
}

TEST_F(GitAttributes, LoneStarMatchesEverythingBelowItsDirectory) {
  expect_conformance({{"gen", "* linguist-generated\n"}, {"", "*.c linguist-vendored\n"}},
                     {{"gen/a.c", set, set},
                      {"gen/x/y.h", set, unspec},
                      {"a.c", unspec, set},
                      {"gen", unspec, unspec}});
}

TEST_F(GitAttributes, NothingAddedMeansUnspecified) {
  AttributeStack stack;
  EXPECT_EQ(stack.linguist("a/b.c"), LinguistAttrs{});
  stack.add("", "*.c linguist-generated\n");
  AttributeStack moved(std::move(stack));
  EXPECT_EQ(moved.linguist("a/b.c").generated, AttrState::set);
  EXPECT_EQ(moved.linguist("a/b.h"), LinguistAttrs{});
}

}  // namespace
}  // namespace g2d::discover
