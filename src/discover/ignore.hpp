// discover/ignore.hpp — gitignore and gitattributes semantics, matching what git itself decides.
//
// Patterns follow gitignore(5): blank lines and `#` comments are skipped; trailing unescaped
// spaces are trimmed; `\` escapes (`\#`, `\!`, `\ `); `!` negates; a trailing `/` matches only
// directories; a pattern with a `/` at its start or middle is anchored to the directory of the
// file that holds it, otherwise it matches a name at any depth below that directory; `*`, `?`,
// `[...]` (ranges, `!`/`^` negation, POSIX classes) never match `/`; `**/` leading, `/**`
// trailing and `/**/` inner match any number of directories. Within one file the last matching
// pattern wins; a deeper directory's file wins over a shallower one's. A path inside an ignored
// directory is ignored whatever a later pattern says (git cannot re-include it either).
//
// gitattributes(5) patterns are the same minus negation (a `!` pattern is ignored, as git warns
// and ignores it) and minus directory matching (`dir/` matches nothing; use `dir/**`). Only the
// attributes discovery needs are read: `linguist-generated` and `linguist-vendored`, each set
// (`attr`, `attr=true`), unset (`-attr`, `attr=false`) or unspecified (`!attr`); later lines and
// deeper files win, as in git. Macro attributes other than `binary` are not expanded.
//
// Paths are relative to the repository root, `/`-separated, without a leading `/`.
// Ownership: plain values. Thread-safety: const methods may be called from several threads.
// Errors: none — malformed patterns match nothing, as in git.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace g2d::discover {

// Whether `text` matches the glob `pattern` with git's wildmatch rules (WM_PATHNAME: `*` and `?`
// do not match `/`; `**` as above). Polynomial time for any input; a pattern or text over 4096
// bytes (longer than any path) matches nothing.
bool wildmatch(std::string_view pattern, std::string_view text);

enum class IgnoreMatch { none, ignored, included };  // included: the last match was a `!` pattern

struct IgnorePattern;  // one parsed line (defined in ignore_internal.hpp)

// The patterns of one source (a .gitignore file, or the config's ignore_patterns), all relative to
// one directory of the repository.
class IgnoreList {
 public:
  IgnoreList();
  // `base`: the directory holding the patterns, relative to the repository root ("" = the root,
  // otherwise "a/b" without a trailing slash).
  IgnoreList(std::string_view text, std::string base);
  IgnoreList(const std::vector<std::string>& lines, std::string base);
  ~IgnoreList();
  IgnoreList(IgnoreList&&) noexcept;
  IgnoreList& operator=(IgnoreList&&) noexcept;
  IgnoreList(const IgnoreList&);
  IgnoreList& operator=(const IgnoreList&);

  // The last pattern of this list matching `path` itself (its parents are not considered).
  IgnoreMatch match(std::string_view path, bool is_dir) const;
  bool empty() const;

 private:
  std::string m_base;
  std::vector<IgnorePattern> m_patterns;
};

// Every .gitignore of one repository (plus .git/info/exclude), added as the walk finds them.
class IgnoreStack {
 public:
  // `dir` relative to the repository root ("" = root); `text` the content of its .gitignore.
  void add(std::string dir, std::string_view text);
  // The decision for `path` itself from the files of its ancestors (deepest first), ignoring
  // whether a parent directory is excluded (a walker does not descend into excluded directories).
  IgnoreMatch match(std::string_view path, bool is_dir) const;
  // The full decision, as `git check-ignore --no-index` gives it: also true when any parent
  // directory of `path` is ignored.
  bool is_ignored(std::string_view path, bool is_dir) const;

 private:
  std::map<std::string, IgnoreList, std::less<>> m_lists;  // by directory
};

enum class AttrState { unspecified, set, unset };

struct LinguistAttrs {
  AttrState generated = AttrState::unspecified;
  AttrState vendored = AttrState::unspecified;
  bool operator==(const LinguistAttrs&) const = default;
};

struct AttrLine;  // one parsed line (defined in ignore_internal.hpp)

// Every .gitattributes of one repository, added as the walk finds them.
class AttributeStack {
 public:
  AttributeStack();
  ~AttributeStack();
  AttributeStack(AttributeStack&&) noexcept;
  AttributeStack& operator=(AttributeStack&&) noexcept;

  void add(std::string dir, std::string_view text);
  // The linguist attributes of the file `path`, as `git check-attr` reports them.
  LinguistAttrs linguist(std::string_view path) const;

 private:
  std::map<std::string, std::vector<AttrLine>, std::less<>> m_files;  // by directory
};

}  // namespace g2d::discover
