// repos_file_fuzzer — repos.txt parsing (git/repos_file.cpp) on any text: no crash, and what it
// promises of hostile lines — every line is either a repository or an error (never both, never
// neither, unless blank or a comment); no accepted source starts with '-' or holds "::" before
// its path or a control character; every directory is relative, inside repos_dir ("..", "." and
// absolute components never appear) and unique case-insensitively; credentials never reach
// `display` (display == redact_url(display)).
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "fuzz_check.hpp"
#include "git/repos_file.hpp"

using g2d::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = g2d::git::parse_repos(text, "/fuzz/base");
  const auto lines = static_cast<int>(std::count(text.begin(), text.end(), '\n')) + 1;

  std::set<int> seen_lines;
  std::set<std::string> dirs;
  for (const auto& repo : parsed.repos) {
    check(repo.line >= 1 && repo.line <= lines, "a repository's line is in the file");
    check(seen_lines.insert(repo.line).second, "one repository per line");
    check(!repo.source.empty() && repo.source.front() != '-', "no source reads as an option");
    check(!repo.ref.starts_with('-'), "no ref reads as an option");
    check(std::none_of(repo.source.begin(), repo.source.end(),
                       [](char c) { return std::iscntrl(static_cast<unsigned char>(c)) != 0; }),
          "no control character in a source");
    check(!repo.dir.empty() && repo.dir.is_relative(), "the directory is relative");
    for (const auto& part : repo.dir)
      check(part != ".." && part != "." && !part.empty(), "the directory stays under repos_dir");
    std::string lower = repo.dir.generic_string();
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    check(dirs.insert(lower).second, "directories are unique, case-insensitively");
    check(g2d::git::redact_url(repo.display) == repo.display, "display holds no credentials");
  }
  for (const auto& error : parsed.errors) {
    check(error.line >= 1 && error.line <= lines, "an error's line is in the file");
    check(seen_lines.insert(error.line).second, "a line is a repository or an error, not both");
    check(!error.reason.empty(), "an error says why");
  }
  (void)g2d::git::redact_url(text);
  return 0;
}
