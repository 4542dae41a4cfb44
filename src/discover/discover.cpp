#include "discover/discover.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <memory>
#include <openssl/evp.h>
#include <optional>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <utility>

#include <climits>

#include "core/text.hpp"
#include "discover/ignore.hpp"

namespace g2d::discover {

namespace fs = std::filesystem;

std::string_view to_string(SkipReason reason) {
  switch (reason) {
    case SkipReason::bad_name:
      return "bad_name";
    case SkipReason::sensitive:
      return "sensitive";
    case SkipReason::not_source:
      return "not_source";
    case SkipReason::ignore_pattern:
      return "ignore_pattern";
    case SkipReason::gitignored:
      return "gitignored";
    case SkipReason::generated:
      return "generated";
    case SkipReason::vendored:
      return "vendored";
    case SkipReason::symlink:
      return "symlink";
    case SkipReason::symlink_outside:
      return "symlink_outside";
    case SkipReason::symlink_broken:
      return "symlink_broken";
    case SkipReason::nested_repo:
      return "nested_repo";
    case SkipReason::too_large:
      return "too_large";
    case SkipReason::binary:
      return "binary";
    case SkipReason::not_utf8:
      return "not_utf8";
    case SkipReason::unreadable:
      return "unreadable";
  }
  return "unknown";
}

namespace {

constexpr size_t kBinaryProbeBytes = 8000;  // what git itself inspects
constexpr size_t kMaxRuleFileBytes = 1 << 20;

// ---------------------------------------------------------------------------------------------
// Names

bool ends_with_ci(std::string_view text, std::string_view suffix) {
  if (suffix.size() > text.size())
    return false;
  auto tail = text.substr(text.size() - suffix.size());
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return std::equal(tail.begin(), tail.end(), suffix.begin(), suffix.end(),
                    [&](char a, char b) { return lower(a) == lower(b); });
}

std::string_view base_name(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

// Streaming UTF-8 validation (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF).
class Utf8Validator {
 public:
  bool feed(const unsigned char* data, size_t size) {
    size_t i = 0;
    while (i < size) {
      if (m_need == 0) {
        // ASCII fast path, 8 bytes at a time.
        while (i + 8 <= size) {
          std::uint64_t word = 0;
          std::memcpy(&word, data + i, 8);
          if ((word & 0x8080808080808080ULL) != 0)
            break;
          i += 8;
        }
        if (i >= size)
          break;
        unsigned char b = data[i++];
        if (b < 0x80)
          continue;
        if (!start(b))
          return m_ok = false;
      } else {
        unsigned char b = data[i++];
        if (b < m_lo || b > m_hi)
          return m_ok = false;
        m_lo = 0x80;
        m_hi = 0xBF;
        --m_need;
      }
    }
    return m_ok;
  }
  bool finish() const { return m_ok && m_need == 0; }

 private:
  bool start(unsigned char b) {
    m_lo = 0x80;
    m_hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
      m_need = 1;
    } else if (b == 0xE0) {
      m_need = 2;
      m_lo = 0xA0;
    } else if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) {
      m_need = 2;
    } else if (b == 0xED) {
      m_need = 2;
      m_hi = 0x9F;
    } else if (b == 0xF0) {
      m_need = 3;
      m_lo = 0x90;
    } else if (b >= 0xF1 && b <= 0xF3) {
      m_need = 3;
    } else if (b == 0xF4) {
      m_need = 3;
      m_hi = 0x8F;
    } else {
      return false;
    }
    return true;
  }

  int m_need = 0;
  unsigned char m_lo = 0x80;
  unsigned char m_hi = 0xBF;
  bool m_ok = true;
};

bool valid_name(std::string_view name) {
  for (char c : name)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
      return false;
  Utf8Validator v;
  v.feed(reinterpret_cast<const unsigned char*>(name.data()), name.size());
  return v.finish();
}

// Files that hold secrets by their nature: never read, whatever the configured extensions say.
std::optional<std::string> sensitive_kind(std::string_view name) {
  std::string lower = to_lower(name);
  std::string_view n = lower;
  if (n == ".env" || n.starts_with(".env."))
    return "environment file";
  for (std::string_view key : {"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"})
    if (n.starts_with(key))
      return "ssh key";
  for (std::string_view exact :
       {".netrc", "_netrc", ".npmrc", ".pypirc", ".git-credentials", ".htpasswd", ".pgpass",
        "credentials", "credentials.json", "credentials.xml", ".dockercfg", "secrets.yml",
        "secrets.yaml", "secrets.json", "service-account.json", ".s3cfg", "terraform.tfstate"})
    if (n == exact)
      return "credential store";
  for (std::string_view ext : {".pem", ".key", ".p12", ".pfx", ".p8", ".jks", ".keystore", ".kdbx",
                               ".ppk", ".gpg", ".asc", ".crt", ".cer", ".der", ".p7b", ".tfstate"})
    if (n.size() > ext.size() && n.ends_with(ext))
      return "key or certificate";
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// Reading

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0)
      close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

// A small rule file (.gitignore, .gitattributes) in the directory `dir_fd`; "" when there is
// none, it is not a regular file (git does not follow symlinked rule files), or it is huge.
std::string read_rule_file(int dir_fd, const char* name) {
  Fd fd(openat(dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd.fd < 0)
    return {};
  struct stat st {};
  if (fstat(fd.fd, &st) != 0 || !S_ISREG(st.st_mode) ||
      static_cast<size_t>(st.st_size) > kMaxRuleFileBytes)
    return {};
  std::string text(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < text.size()) {
    ssize_t n = read(fd.fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    got += static_cast<size_t>(n);
  }
  text.resize(got);
  return text;
}

struct Candidate {
  std::string path;  // relative to the repository
  std::uint64_t size = 0;
};

struct HashOutcome {
  std::string sha256;
  std::optional<SkipReason> skip;
  std::string detail;
};

std::string hex(const unsigned char* data, size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(size * 2, '\0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 0xF];
  }
  return out;
}

struct EvpCtx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~EvpCtx() { EVP_MD_CTX_free(ctx); }
  EvpCtx() = default;
  EvpCtx(const EvpCtx&) = delete;
  EvpCtx& operator=(const EvpCtx&) = delete;
};

// One pass over the file: NUL probe, UTF-8 check and SHA-256 together.
HashOutcome hash_file(const fs::path& full, std::uint64_t max_bytes,
                      std::vector<unsigned char>& buf, EvpCtx& evp) {
  HashOutcome out;
  Fd fd(open(full.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd.fd < 0) {
    out.skip = SkipReason::unreadable;
    out.detail = std::strerror(errno);
    return out;
  }
  struct stat st {};
  if (fstat(fd.fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    out.skip = SkipReason::unreadable;
    out.detail = "not a regular file";
    return out;
  }
  if (EVP_DigestInit_ex(evp.ctx, EVP_sha256(), nullptr) != 1) {
    out.skip = SkipReason::unreadable;
    out.detail = "SHA-256 is not available";
    return out;
  }
  Utf8Validator utf8;
  std::uint64_t total = 0;
  for (;;) {
    ssize_t n = read(fd.fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      out.skip = SkipReason::unreadable;
      out.detail = std::strerror(errno);
      return out;
    }
    if (n == 0)
      break;
    auto size = static_cast<size_t>(n);
    if (total < kBinaryProbeBytes) {
      size_t probe = std::min<std::uint64_t>(size, kBinaryProbeBytes - total);
      if (std::memchr(buf.data(), 0, probe) != nullptr) {
        out.skip = SkipReason::binary;
        out.detail = "NUL byte in the first 8000 bytes";
        return out;
      }
    }
    total += size;
    if (total > max_bytes) {
      out.skip = SkipReason::too_large;
      out.detail = "grew past max_file_bytes while read";
      return out;
    }
    if (!utf8.feed(buf.data(), size)) {
      out.skip = SkipReason::not_utf8;
      out.detail = "invalid UTF-8 near byte " + std::to_string(total - size);
      return out;
    }
    EVP_DigestUpdate(evp.ctx, buf.data(), size);
  }
  if (!utf8.finish()) {
    out.skip = SkipReason::not_utf8;
    out.detail = "truncated UTF-8 sequence at the end";
    return out;
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(evp.ctx, digest.data(), &len);
  out.sha256 = hex(digest.data(), len);
  return out;
}

// ---------------------------------------------------------------------------------------------
// The walk

class Walker {
 public:
  Walker(fs::path root, std::string repo, const Options& options)
      : m_root(std::move(root)),
        m_repo(std::move(repo)),
        m_options(options),
        m_config_ignore(options.ignore_patterns, "") {
    char* real = realpath(m_root.c_str(), nullptr);
    if (real != nullptr) {
      m_real_root = real;
      std::free(real);  // NOLINT(cppcoreguidelines-no-malloc): realpath's contract
    }
  }

  void walk(Repository& out) {
    std::vector<std::string> pending{""};
    while (!pending.empty()) {
      std::string dir = std::move(pending.back());
      pending.pop_back();
      walk_dir(dir, out, pending);
    }
  }

  std::vector<Candidate>& candidates() { return m_candidates; }

 private:
  void skip(Repository& out, const std::string& rel, bool is_dir, SkipReason reason,
            std::string detail) {
    out.skipped.push_back({m_repo + "/" + rel + (is_dir ? "/" : ""), reason, std::move(detail)});
  }

  void walk_dir(const std::string& dir, Repository& out, std::vector<std::string>& pending) {
    fs::path full = dir.empty() ? m_root : m_root / dir;
    int raw = open(full.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (raw < 0) {
      if (!dir.empty())
        skip(out, dir, true, SkipReason::unreadable, std::strerror(errno));
      return;
    }
    DIR* d = fdopendir(raw);
    if (d == nullptr) {
      close(raw);
      skip(out, dir, true, SkipReason::unreadable, std::strerror(errno));
      return;
    }
    std::unique_ptr<DIR, int (*)(DIR*)> guard(d, closedir);
    int dfd = dirfd(d);

    std::string ignore_text = read_rule_file(dfd, ".gitignore");
    if (dir.empty()) {
      // info/exclude has the lowest precedence: it goes before the root .gitignore's lines.
      std::string exclude = read_rule_file_at(m_root / ".git/info", "exclude");
      if (!exclude.empty())
        ignore_text = exclude + "\n" + ignore_text;
    }
    if (!ignore_text.empty())
      m_ignore.add(dir, ignore_text);
    std::string attr_text = read_rule_file(dfd, ".gitattributes");
    if (!attr_text.empty())
      m_attrs.add(dir, attr_text);

    struct Entry {
      std::string name;
      unsigned char type;
    };
    std::vector<Entry> entries;
    while (dirent* e = readdir(d)) {
      std::string_view name = e->d_name;
      if (name == "." || name == "..")
        continue;
      entries.push_back({std::string(name), e->d_type});
    }
    std::sort(entries.begin(), entries.end(),
              [](const Entry& a, const Entry& b) { return a.name < b.name; });

    std::vector<std::string> subdirs;
    for (auto& e : entries) {
      if (e.name == ".git")
        continue;
      std::string rel = dir.empty() ? e.name : dir + "/" + e.name;
      unsigned char type = e.type;
      struct stat st {};
      bool have_stat = false;
      if (type == DT_UNKNOWN || type == DT_REG) {
        if (fstatat(dfd, e.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
          skip(out, rel, false, SkipReason::unreadable, std::strerror(errno));
          continue;
        }
        have_stat = true;
        type = S_ISDIR(st.st_mode)   ? DT_DIR
               : S_ISLNK(st.st_mode) ? DT_LNK
               : S_ISREG(st.st_mode) ? DT_REG
                                     : DT_UNKNOWN;
      }
      if (type == DT_DIR) {
        if (visit_dir(dfd, e.name, rel, out))
          subdirs.push_back(std::move(rel));
      } else {
        visit_file(e.name, rel, type, have_stat ? static_cast<std::uint64_t>(st.st_size) : 0, out);
      }
    }
    // Depth-first in name order: push in reverse so the first name is walked first.
    for (auto it = subdirs.rbegin(); it != subdirs.rend(); ++it)
      pending.push_back(std::move(*it));
  }

  static std::string read_rule_file_at(const fs::path& dir, const char* name) {
    int raw = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (raw < 0)
      return {};
    Fd fd(raw);
    return read_rule_file(fd.fd, name);
  }

  // Whether to enter the directory.
  bool visit_dir(int dfd, const std::string& name, const std::string& rel, Repository& out) {
    if (!valid_name(name)) {
      skip(out, rel, true, SkipReason::bad_name, "control character or invalid UTF-8 in the name");
      return false;
    }
    if (m_config_ignore.match(rel, true) == IgnoreMatch::ignored) {
      skip(out, rel, true, SkipReason::ignore_pattern, "pipeline.ignore_patterns");
      return false;
    }
    if (m_ignore.match(rel, true) == IgnoreMatch::ignored) {
      skip(out, rel, true, SkipReason::gitignored, ".gitignore");
      return false;
    }
    struct stat st {};
    if (fstatat(dfd, (name + "/.git").c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
      skip(out, rel, true, SkipReason::nested_repo, "holds its own .git");
      return false;
    }
    return true;
  }

  void visit_file(const std::string& name, const std::string& rel, unsigned char type,
                  std::uint64_t size, Repository& out) {
    if (!valid_name(name)) {
      skip(out, rel, false, SkipReason::bad_name, "control character or invalid UTF-8 in the name");
      return;
    }
    bool is_link = type == DT_LNK;
    if (auto kind = sensitive_kind(name)) {
      skip(out, rel, false, SkipReason::sensitive, *kind);
      return;
    }
    if (is_link && link_is_dir(rel)) {
      classify_link(rel, true, out);
      return;
    }
    if (!is_source(name)) {
      skip(out, rel, false, SkipReason::not_source, "extension not in pipeline.allowed_extensions");
      return;
    }
    if (m_config_ignore.match(rel, false) == IgnoreMatch::ignored) {
      skip(out, rel, false, SkipReason::ignore_pattern, "pipeline.ignore_patterns");
      return;
    }
    if (m_ignore.match(rel, false) == IgnoreMatch::ignored) {
      skip(out, rel, false, SkipReason::gitignored, ".gitignore");
      return;
    }
    LinguistAttrs attrs = m_attrs.linguist(rel);
    if (attrs.generated == AttrState::set) {
      skip(out, rel, false, SkipReason::generated, ".gitattributes linguist-generated");
      return;
    }
    if (attrs.vendored == AttrState::set) {
      skip(out, rel, false, SkipReason::vendored, ".gitattributes linguist-vendored");
      return;
    }
    if (is_link) {
      classify_link(rel, false, out);
      return;
    }
    if (type != DT_REG) {
      skip(out, rel, false, SkipReason::unreadable, "not a regular file (fifo, socket or device)");
      return;
    }
    if (size > m_options.max_file_bytes) {
      skip(out, rel, false, SkipReason::too_large,
           std::to_string(size) + " bytes > max_file_bytes " +
               std::to_string(m_options.max_file_bytes));
      return;
    }
    m_candidates.push_back({rel, size});
  }

  bool is_source(std::string_view name) const {
    for (const auto& n : m_options.include_file_names)
      if (name == n)
        return true;
    for (const auto& ext : m_options.allowed_extensions)
      if (name.size() > ext.size() && ends_with_ci(name, ext))
        return true;
    return false;
  }

  bool link_is_dir(const std::string& rel) const {
    struct stat st {};
    return stat((m_root / rel).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  }

  void classify_link(const std::string& rel, bool is_dir, Repository& out) {
    fs::path full = m_root / rel;
    char* real = realpath(full.c_str(), nullptr);
    if (real == nullptr) {
      int err = errno;
      skip(out, rel, is_dir, SkipReason::symlink_broken,
           err == ELOOP ? "the link loops" : "the target does not exist");
      return;
    }
    std::string target = real;
    std::free(real);  // NOLINT(cppcoreguidelines-no-malloc): realpath's contract
    bool inside =
        !m_real_root.empty() && (target == m_real_root || target.starts_with(m_real_root + "/"));
    if (inside) {
      skip(out, rel, is_dir, SkipReason::symlink,
           "links to " + target.substr(std::min(target.size(), m_real_root.size() + 1)) +
               " (read at its own path)");
    } else {
      skip(out, rel, is_dir, SkipReason::symlink_outside, "links outside the repository");
    }
  }

  fs::path m_root;
  std::string m_real_root;
  std::string m_repo;
  const Options& m_options;
  IgnoreList m_config_ignore;
  IgnoreStack m_ignore;
  AttributeStack m_attrs;
  std::vector<Candidate> m_candidates;
};

void hash_all(const fs::path& root, const std::vector<Candidate>& candidates,
              const Options& options, std::vector<HashOutcome>& results) {
  results.resize(candidates.size());
  unsigned hw = std::max(1U, std::thread::hardware_concurrency());
  size_t threads = options.hash_threads > 0 ? static_cast<size_t>(options.hash_threads) : hw;
  threads = std::min(threads, std::max<size_t>(1, candidates.size()));
  std::atomic<size_t> next{0};
  auto work = [&] {
    std::vector<unsigned char> buf(1 << 16);
    EvpCtx evp;
    for (size_t i = next.fetch_add(1); i < candidates.size(); i = next.fetch_add(1))
      results[i] = hash_file(root / candidates[i].path, options.max_file_bytes, buf, evp);
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t)
    pool.emplace_back(work);
  work();
  for (auto& t : pool)
    t.join();
}

}  // namespace

Result<std::vector<std::string>> find_repositories(const fs::path& repos_dir) {
  std::vector<std::string> found;
  std::error_code ec;
  if (!fs::exists(repos_dir, ec))
    return found;
  if (!fs::is_directory(repos_dir, ec))
    return fail(ErrorKind::io, "{} is not a directory", repos_dir.string());
  std::vector<fs::path> pending{repos_dir};
  while (!pending.empty()) {
    fs::path dir = std::move(pending.back());
    pending.pop_back();
    fs::directory_iterator it(dir, ec);
    if (ec) {
      if (dir == repos_dir)
        return fail(ErrorKind::io, "cannot read {}: {}", repos_dir.string(), ec.message());
      continue;
    }
    for (const auto& entry : it) {
      std::string name = entry.path().filename().string();
      if (name.starts_with(".") || !entry.is_directory(ec) || entry.is_symlink(ec))
        continue;
      if (fs::exists(entry.path() / ".git", ec))
        found.push_back(fs::relative(entry.path(), repos_dir).generic_string());
      else
        pending.push_back(entry.path());
    }
  }
  std::sort(found.begin(), found.end());
  return found;
}

Repository discover_repository(const fs::path& repos_dir, const std::string& repo,
                               const Options& options) {
  Repository out;
  out.repo = repo;
  out.root = fs::absolute(repos_dir / repo);
  Walker walker(out.root, repo, options);
  walker.walk(out);

  auto& candidates = walker.candidates();
  std::sort(candidates.begin(), candidates.end(),
            [](const Candidate& a, const Candidate& b) { return a.path < b.path; });
  std::vector<HashOutcome> hashed;
  hash_all(out.root, candidates, options, hashed);
  out.files.reserve(candidates.size());
  for (size_t i = 0; i < candidates.size(); ++i) {
    auto& c = candidates[i];
    auto& h = hashed[i];
    if (h.skip) {
      out.skipped.push_back({repo + "/" + c.path, *h.skip, std::move(h.detail)});
      continue;
    }
    out.files.push_back(
        {repo + "/" + c.path, repo, c.path, language_of(c.path), c.size, std::move(h.sha256)});
  }
  std::sort(out.skipped.begin(), out.skipped.end(),
            [](const SkippedFile& a, const SkippedFile& b) { return a.file_path < b.file_path; });
  return out;
}

std::string language_of(std::string_view path) {
  std::string_view name = base_name(path);
  static const std::pair<std::string_view, std::string_view> names[] = {
      {"Dockerfile", "dockerfile"}, {"Makefile", "makefile"}, {"GNUmakefile", "makefile"},
      {"CMakeLists.txt", "cmake"},  {"Rakefile", "ruby"},     {"Gemfile", "ruby"},
      {"Jenkinsfile", "groovy"},    {"Vagrantfile", "ruby"},  {"BUILD", "starlark"},
      {"WORKSPACE", "starlark"},    {"meson.build", "meson"}, {"Justfile", "just"},
  };
  for (const auto& [n, lang] : names)
    if (name == n)
      return std::string(lang);
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0)
    return "";
  std::string ext = to_lower(name.substr(dot + 1));
  static const std::pair<std::string_view, std::string_view> exts[] = {
      {"py", "python"},
      {"pyi", "python"},
      {"js", "javascript"},
      {"mjs", "javascript"},
      {"cjs", "javascript"},
      {"jsx", "javascript"},
      {"ts", "typescript"},
      {"tsx", "typescript"},
      {"mts", "typescript"},
      {"cts", "typescript"},
      {"go", "go"},
      {"rs", "rust"},
      {"java", "java"},
      {"c", "c"},
      {"h", "c"},
      {"cc", "cpp"},
      {"cpp", "cpp"},
      {"cxx", "cpp"},
      {"c++", "cpp"},
      {"hh", "cpp"},
      {"hpp", "cpp"},
      {"hxx", "cpp"},
      {"h++", "cpp"},
      {"ipp", "cpp"},
      {"cs", "csharp"},
      {"rb", "ruby"},
      {"php", "php"},
      {"kt", "kotlin"},
      {"kts", "kotlin"},
      {"swift", "swift"},
      {"scala", "scala"},
      {"sh", "shell"},
      {"bash", "shell"},
      {"zsh", "shell"},
      {"lua", "lua"},
      {"m", "objective-c"},
      {"mm", "objective-cpp"},
      {"zig", "zig"},
      {"hs", "haskell"},
      {"ml", "ocaml"},
      {"mli", "ocaml"},
      {"ex", "elixir"},
      {"exs", "elixir"},
      {"erl", "erlang"},
      {"clj", "clojure"},
      {"sql", "sql"},
      {"r", "r"},
      {"dart", "dart"},
      {"jl", "julia"},
      {"vue", "vue"},
      {"svelte", "svelte"},
      {"cmake", "cmake"},
      {"proto", "protobuf"},
      {"nim", "nim"},
      {"v", "verilog"},
      {"sv", "systemverilog"},
      {"vhd", "vhdl"},
      {"f90", "fortran"},
      {"pl", "perl"},
      {"pm", "perl"},
      {"groovy", "groovy"},
      {"gradle", "groovy"},
      {"tf", "terraform"},
      {"cu", "cuda"},
  };
  for (const auto& [e, lang] : exts)
    if (ext == e)
      return std::string(lang);
  return "";
}

}  // namespace g2d::discover
