// discover/ignore_internal.hpp — the parsed pattern shared by gitignore (ignore.cpp) and
// gitattributes (attributes.cpp), private to g2d_discover. Each pattern is parsed once into a Glob
// that knows which of three cheap paths it can take: a basename compared as a string, a basename
// compared by suffix (`*.o`), or wildmatch (wildmatch.cpp) — for an anchored pattern only after
// its literal prefix (the text before the first `*?[\`) compared equal. Matching allocates nothing.
//
// Ownership: plain values. Thread-safety: const methods and the functions are reentrant.
// Errors: none — a malformed pattern matches nothing, as in git.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "discover/ignore.hpp"

namespace g2d::discover {
namespace detail {

inline bool is_glob_special(char c) {
  return c == '*' || c == '?' || c == '[' || c == '\\';
}

// The bytes before the first `*?[\` of `s`.
size_t literal_length(std::string_view s);

std::string_view basename_of(std::string_view path);

// `path` relative to `base` ("" = the root), or nullopt when it is not strictly below it.
std::optional<std::string_view> below(std::string_view path, std::string_view base);

// The part of a gitignore or gitattributes pattern that decides whether a path matches.
struct Glob {
  enum class Kind : std::uint8_t {
    exact_name,   // no slash, no wildcard: the basename equals `text`
    name_suffix,  // no slash, `*` then no wildcard: the basename ends with `text`
    name_glob,    // no slash: wildmatch on the basename
    path,         // a slash: relative to the directory, `text` starting with `literal` bytes
  };
  Kind kind = Kind::exact_name;
  std::string text;
  size_t literal = 0;

  bool matches(std::string_view rel, std::string_view name) const {
    switch (kind) {
      case Kind::exact_name:
        return name == text;
      case Kind::name_suffix:
        return name.size() >= text.size() && name.substr(name.size() - text.size()) == text;
      case Kind::name_glob:
        return wildmatch(text, name);
      case Kind::path:
        break;
    }
    if (rel.size() < literal || rel.substr(0, literal) != std::string_view(text).substr(0, literal))
      return false;
    if (literal == text.size())
      return rel.size() == literal;
    // What follows the literal prefix is matched on its own, as git does: a `**` right after it
    // counts as starting a path component (`foo**/bar` matches `foo/x/bar`).
    return wildmatch(std::string_view(text).substr(literal), rel.substr(literal));
  }
};

// Calls `line(text)` for each line of a file: a UTF-8 byte order mark is skipped, lines end at
// '\n', the last one need not.
template <class F>
void for_each_line(std::string_view text, F&& line) {
  constexpr std::string_view bom = "\xEF\xBB\xBF";
  if (text.substr(0, bom.size()) == bom)
    text.remove_prefix(bom.size());
  while (!text.empty()) {
    const size_t eol = text.find('\n');
    line(text.substr(0, eol));
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
  }
}

}  // namespace detail

struct IgnorePattern {
  detail::Glob glob;
  bool negative = false;
  bool dir_only = false;
};

struct AttrLine {
  detail::Glob glob;
  std::optional<AttrState> generated;  // nullopt: the line does not mention it
  std::optional<AttrState> vendored;
};

namespace detail {

// One pattern as gitignore(5) reads it (the line already trimmed): a leading `!` negates, one
// trailing `/` means directories only, a `/` elsewhere anchors it to its directory.
IgnorePattern parse_pattern(std::string_view p);

}  // namespace detail
}  // namespace g2d::discover
