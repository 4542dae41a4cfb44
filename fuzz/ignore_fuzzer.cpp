// ignore_fuzzer — wildmatch, .gitignore and .gitattributes matching (discover/ignore.cpp) on any
// patterns and paths: no crash, and no exponential time on hostile globs (libFuzzer's -timeout).
// Invariants that follow from git's rules: a pattern whose special characters are all escaped
// matches exactly its own text; `**` matches every path and `*` every path without '/'; what the
// ignore files decide for a path itself is also the full decision's (is_ignored) when it ignores.
#include <cstddef>
#include <cstdint>
#include <fuzzer/FuzzedDataProvider.h>
#include <string>

#include "discover/ignore.hpp"
#include "fuzz_check.hpp"

using g2d::discover::AttributeStack;
using g2d::discover::IgnoreList;
using g2d::discover::IgnoreMatch;
using g2d::discover::IgnoreStack;
using g2d::discover::wildmatch;
using g2d::fuzz::check;

namespace {

std::string escaped(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '*' || c == '?' || c == '[' || c == '\\')
      out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const std::string pattern = in.ConsumeRandomLengthString(256);
  const std::string path = in.ConsumeRandomLengthString(256);
  const bool is_dir = in.ConsumeBool();
  const std::string dir = in.ConsumeRandomLengthString(32);
  const std::string file = in.ConsumeRemainingBytesAsString();

  (void)wildmatch(pattern, path);
  check(wildmatch(escaped(path), path), "an escaped text matches itself");
  check(wildmatch("**", path), "** matches every path");
  check(wildmatch("*", path) == (path.find('/') == std::string::npos),
        "* matches exactly the paths without '/'");

  IgnoreList list(file, dir);
  (void)list.match(path, is_dir);
  IgnoreStack ignores;
  ignores.add("", pattern);
  ignores.add(dir, file);
  const IgnoreMatch own = ignores.match(path, is_dir);
  const bool ignored = ignores.is_ignored(path, is_dir);
  if (own == IgnoreMatch::ignored)
    check(ignored, "a path its own pattern ignores is ignored");

  AttributeStack attributes;
  attributes.add("", pattern);
  attributes.add(dir, file);
  (void)attributes.linguist(path);
  return 0;
}
