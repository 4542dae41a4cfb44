#include "git/repos_file.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <optional>

#include "core/hash.hpp"
#include "core/repository_name.hpp"
#include "core/text.hpp"
#include "sys/safe_read.hpp"

namespace g2d::git {

namespace fs = std::filesystem;

namespace {

constexpr std::array k_schemes{"https", "http", "ssh", "git", "git+ssh", "ssh+git"};

bool has_control_chars(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; });
}

// FNV-1a from this basis (a digit short of the usual offset basis): the directory names already
// on disk are made with it, so it stays.
constexpr uint64_t k_directory_hash_basis = 1469598103934665603ULL;

std::string short_hash(std::string_view s) {
  return fmt::format("{:08x}",
                     static_cast<uint32_t>(fnv1a64(s, k_directory_hash_basis) & 0xffffffffU));
}

// A directory name component: [A-Za-z0-9._-], anything else becomes '_', and it never starts with
// '.' (no "", ".", "..", ".git" or hidden names). A name that had to change gets "-<hash of the
// original>", so that two different names never map to one directory ("a+b" vs "a_b").
std::string safe_component(std::string_view s, bool force_hash = false) {
  std::string out;
  out.reserve(s.size() + 9);
  for (unsigned char c : s) {
    out.push_back(std::isalnum(c) != 0 || c == '.' || c == '_' || c == '-' ? static_cast<char>(c)
                                                                           : '_');
  }
  if (out.empty())
    out = "_";
  if (out.front() == '.')
    out.front() = '_';
  if (force_hash || out != s)
    out += "-" + short_hash(s);
  return out;
}

// host[:port]/path components → a relative directory; ".git" dropped from the last component.
// A host starting with '_' is hashed too, so no remote can land in the `_local` directory.
fs::path remote_dir(std::string_view host, std::string_view port, std::string_view path) {
  std::string first = to_lower(host);
  if (!port.empty())
    first += ":" + std::string(port);
  fs::path dir = safe_component(first, first.starts_with('_'));
  const std::vector<std::string_view> parts = split_nonempty(path, '/');
  for (size_t i = 0; i < parts.size(); ++i) {
    std::string_view part = parts[i];
    if (i + 1 == parts.size() && part.size() > 4 && part.substr(part.size() - 4) == ".git") {
      part.remove_suffix(4);
    }
    dir /= safe_component(part);
  }
  return dir;
}

// `user@host[:port]` → `host[:port]`.
std::string_view without_userinfo(std::string_view authority) {
  size_t at = authority.rfind('@');
  return at == std::string_view::npos ? authority : authority.substr(at + 1);
}

// Checks a ref against git's rules for names (check-ref-format) that matter here.
std::optional<std::string> ref_problem(std::string_view ref) {
  if (ref.front() == '-')
    return "starts with '-' (git would read it as an option)";
  if (ref.find("..") != std::string_view::npos || ref.find("@{") != std::string_view::npos ||
      ref.find_first_of("~^:?*[\\") != std::string_view::npos || ref.back() == '/' ||
      ref.back() == '.' || (ref.size() >= 5 && ref.substr(ref.size() - 5) == ".lock")) {
    return "is not a valid git ref name";
  }
  return std::nullopt;
}

struct Parsed {
  RepoRef repo;
  std::string error;
};

Parsed parse_source(std::string_view source, const fs::path& base_dir) {
  Parsed p;
  p.repo.display = redact_url(source);
  if (source.front() == '-') {
    p.error = "starts with '-' (git would read it as an option)";
    return p;
  }
  if (source.find("::") != std::string_view::npos) {
    p.error = "remote-helper transports (ext::, fd::, ...) are refused";
    return p;
  }
  if (size_t colon_slashes = source.find("://"); colon_slashes != std::string_view::npos) {
    std::string scheme = to_lower(source.substr(0, colon_slashes));
    if (scheme == "file") {
      p.error = "file:// URLs are refused; write the repository's local path instead";
      return p;
    }
    if (std::find(k_schemes.begin(), k_schemes.end(), scheme) == k_schemes.end()) {
      p.error = "unsupported scheme '" + scheme + "' (use https, http, ssh or git)";
      return p;
    }
    std::string_view rest = source.substr(colon_slashes + 3);
    size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
    authority = without_userinfo(authority);
    std::string_view host = authority;
    std::string_view port;
    if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
    }
    if (host.empty() || path.empty()) {
      p.error = "a URL needs a host and a repository path";
      return p;
    }
    p.repo.kind = RepoKind::remote;
    p.repo.source = std::string(source);
    p.repo.dir = remote_dir(host, port, path);
    p.repo.name = strip_userinfo(source);
    return p;
  }
  // scp-like user@host:path — a ':' before any '/'; a local path has none or a '/' first.
  size_t colon = source.find(':');
  size_t slash = source.find('/');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon < slash)) {
    std::string_view authority = source.substr(0, colon);
    std::string_view path = source.substr(colon + 1);
    authority = without_userinfo(authority);
    if (authority.empty() || path.empty()) {
      p.error = "an scp-like address needs host:path";
      return p;
    }
    p.repo.kind = RepoKind::remote;
    p.repo.source = std::string(source);
    p.repo.dir = remote_dir(authority, "", path);
    p.repo.name = strip_userinfo(source);
    return p;
  }
  fs::path local = fs::path(source);
  if (local.is_relative())
    local = base_dir / local;
  local = local.lexically_normal();
  std::string name = local.filename().empty() ? local.parent_path().filename().string()
                                              : local.filename().string();
  p.repo.kind = RepoKind::local;
  p.repo.source = local.string();
  p.repo.display = p.repo.source;
  p.repo.dir = fs::path("_local") / (safe_component(name) + "-" + short_hash(p.repo.source));
  p.repo.name = local_path_name(p.repo.source);  // never the path itself
  return p;
}

// The fields after the source: at most one ref and at most one `name=NAME`, in either order.
std::optional<std::string> take_ref_and_name(const std::vector<std::string_view>& parts,
                                             RepoRef& repo) {
  constexpr std::string_view k_name = "name=";
  bool has_ref = false;
  bool has_name = false;
  for (size_t i = 1; i < parts.size(); ++i) {
    bool is_name = parts[i].starts_with(k_name);
    if (parts.size() > 3 || (is_name ? has_name : has_ref)) {
      return fmt::format(
          "expected a repository, at most one ref and at most one name=NAME, got {} fields",
          parts.size());
    }
    if (is_name) {
      has_name = true;
      repo.name = std::string(parts[i].substr(k_name.size()));
      if (repo.name.empty())
        return "the name is empty (write name=NAME)";
      continue;
    }
    if (auto problem = ref_problem(parts[i]))
      return "the ref " + *problem;
    has_ref = true;
    repo.ref = std::string(parts[i]);
  }
  return std::nullopt;
}

std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < line.size()) {
    while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t'))
      ++pos;
    if (pos >= line.size() || line[pos] == '#')
      break;  // a comment runs to the end
    size_t end = pos;
    while (end < line.size() && line[end] != ' ' && line[end] != '\t')
      ++end;
    out.push_back(line.substr(pos, end - pos));
    pos = end;
  }
  return out;
}

std::string redacted_line(const std::vector<std::string_view>& parts) {
  std::string out;
  for (auto part : parts) {
    if (!out.empty())
      out += ' ';
    out += redact_url(part);
  }
  return out;
}

// The line of an earlier directory that contains `dir` or lies inside it; 0 when none does.
int nesting_line(const std::map<std::string, int>& dirs, const std::string& dir) {
  for (size_t slash = dir.find('/'); slash != std::string::npos; slash = dir.find('/', slash + 1))
    if (auto it = dirs.find(dir.substr(0, slash)); it != dirs.end())
      return it->second;
  std::string below = dir + "/";
  if (auto it = dirs.lower_bound(below); it != dirs.end() && it->first.starts_with(below))
    return it->second;
  return 0;
}

}  // namespace

std::string redact_url(std::string_view url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos)
    return std::string(url);
  size_t start = scheme_end + 3;
  size_t slash = url.find('/', start);
  size_t at = url.substr(0, slash).rfind('@');
  if (at == std::string_view::npos || at < start)
    return std::string(url);
  return std::string(url.substr(0, start)) + "***" + std::string(url.substr(at));
}

ReposFile parse_repos(std::string_view content, const fs::path& base_dir) {
  ReposFile file;
  std::map<std::string, int> dirs;  // lower-cased directory → the line that claimed it
  int number = 0;
  size_t pos = 0;
  while (pos <= content.size()) {
    size_t end = content.find('\n', pos);
    if (end == std::string_view::npos)
      end = content.size();
    std::string_view line = content.substr(pos, end - pos);
    pos = end + 1;
    ++number;
    if (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    auto parts = fields(line);
    if (parts.empty()) {
      if (end == content.size())
        break;
      continue;
    }
    auto reject = [&](std::string reason) {
      file.errors.push_back({number, redacted_line(parts), std::move(reason)});
    };
    if (has_control_chars(line)) {
      reject("contains control characters");
      continue;
    }
    Parsed parsed = parse_source(parts[0], base_dir);
    if (!parsed.error.empty()) {
      reject(parsed.error);
      continue;
    }
    if (auto problem = take_ref_and_name(parts, parsed.repo)) {
      reject(*problem);
      continue;
    }
    parsed.repo.line = number;
    std::string key = to_lower(parsed.repo.dir.generic_string());
    if (auto it = dirs.find(key); it != dirs.end()) {
      reject(fmt::format("same repository directory ({}) as line {}", parsed.repo.dir.string(),
                         it->second));
      continue;
    }
    // One clone inside another's directory would be taken for part of it (or the reverse).
    if (int other = nesting_line(dirs, key); other != 0) {
      reject(fmt::format("its directory ({}) would be nested with line {}'s",
                         parsed.repo.dir.string(), other));
      continue;
    }
    dirs.emplace(std::move(key), number);
    file.repos.push_back(std::move(parsed.repo));
    if (end == content.size())
      break;
  }
  return file;
}

Result<ReposFile> read_repos_file(const fs::path& path) {
  auto text = sys::read_small_file(path, k_max_repos_file_bytes, "repository list");
  if (!text && text.error().kind == ErrorKind::not_found) {
    return fail(ErrorKind::not_found, "{} not found (run `git2dataset init` for an example)",
                path.string());
  }
  if (!text)
    return tl::unexpected(text.error());
  std::error_code ec;
  return parse_repos(*text, fs::absolute(path, ec).parent_path());
}

}  // namespace g2d::git
