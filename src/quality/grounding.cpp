// quality/grounding.cpp — the identifiers an answer names, checked against the code.
#include <algorithm>
#include <bitset>

#include "quality/quality.hpp"

namespace g2d::quality {

namespace {

constexpr std::size_t k_max_missing = 20;

// Never claims (sorted, case-sensitive): keywords, built-in and standard-library names of common
// languages, file extensions and product names written in camel case. Names of at most two
// characters are never claims anyway.
constexpr std::array<std::string_view, 212> k_not_claims{
    "DevOps",      "Err",        "False",      "GitHub",     "GitLab",      "JavaScript",
    "LaTeX",       "MongoDB",    "MySQL",      "NULL",       "None",        "NumPy",
    "OAuth",       "OpenAI",     "Option",     "PostgreSQL", "PowerShell",  "PyPI",
    "PyTorch",     "Result",     "SciPy",      "Self",       "Some",        "String",
    "TensorFlow",  "True",       "TypeScript", "Vec",        "WebAssembly", "YouTube",
    "abs",         "and",        "any",        "append",     "assert",      "async",
    "auto",        "await",      "begin",      "bool",       "boolean",     "break",
    "byte",        "case",       "catch",      "cbegin",     "cend",        "char",
    "class",       "com",        "const",      "constexpr",  "continue",    "cpp",
    "crate",       "css",        "def",        "default",    "defer",       "define",
    "delete",      "dict",       "double",     "elif",       "else",        "emplace_back",
    "end",         "endif",      "enum",       "enumerate",  "err",         "error",
    "except",      "explicit",   "export",     "extends",    "extern",      "false",
    "final",       "finally",    "float",      "fmt",        "for",         "forward",
    "free",        "friend",     "from",       "func",       "function",    "global",
    "goto",        "hpp",        "html",       "iOS",        "ifdef",       "ifndef",
    "impl",        "implements", "import",     "include",    "inline",      "instanceof",
    "int",         "int16_t",    "int32_t",    "int64_t",    "int8_t",      "interface",
    "isinstance",  "java",       "json",       "lambda",     "len",         "let",
    "list",        "long",       "loop",       "macOS",      "make",        "make_shared",
    "make_unique", "malloc",     "map",        "match",      "max",         "memcpy",
    "min",         "mod",        "move",       "mut",        "mutable",     "namespace",
    "new",         "nil",        "noexcept",   "nonlocal",   "not",         "npos",
    "null",        "nullptr",    "open",       "operator",   "org",         "override",
    "package",     "panic",      "pass",       "pragma",     "print",       "printf",
    "println",     "private",    "protected",  "ptrdiff_t",  "pub",         "public",
    "push_back",   "raise",      "range",      "return",     "self",        "short",
    "signed",      "size",       "size_t",     "sizeof",     "ssize_t",     "static",
    "static_cast", "std",        "str",        "string",     "strlen",      "struct",
    "super",       "switch",     "template",   "this",       "throw",       "toml",
    "trait",       "true",       "try",        "tuple",      "txt",         "type",
    "typedef",     "typename",   "typeof",     "uint16_t",   "uint32_t",    "uint64_t",
    "uint8_t",     "uintptr_t",  "undefined",  "union",      "unsigned",    "unwrap",
    "use",         "using",      "var",        "virtual",    "void",        "volatile",
    "where",       "while",      "with",       "www",        "xml",         "yaml",
    "yield",       "yml",
};
static_assert(std::is_sorted(k_not_claims.begin(), k_not_claims.end()));

// File extensions and top-level domains (sorted): "config.yaml", "example.com" name no code.
constexpr std::array<std::string_view, 37> k_extensions{
    "c",    "cc",     "cfg",  "cmake", "com",  "conf", "cpp",   "css", "csv",  "cxx",
    "go",   "gradle", "h",    "hpp",   "html", "ini",  "java",  "js",  "json", "kt",
    "lock", "md",     "mod",  "net",   "org",  "php",  "proto", "py",  "rb",   "rs",
    "sh",   "sql",    "toml", "ts",    "txt",  "xml",  "yaml",
};
static_assert(std::is_sorted(k_extensions.begin(), k_extensions.end()));

constexpr bool is_ascii_alnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
constexpr bool is_ident_byte(char c) {
  return is_ascii_alnum(static_cast<unsigned char>(c)) || c == '_';
}
// Bytes of a word in prose: identifier bytes and UTF-8 (so "naïve_x" stays one word).
constexpr bool is_word_byte(char c) {
  return is_ident_byte(c) || static_cast<unsigned char>(c) >= 0x80;
}
constexpr bool is_ident_start(char c) {
  return is_ident_byte(c) && !(c >= '0' && c <= '9');
}
constexpr bool is_lower(char c) {
  return c >= 'a' && c <= 'z';
}
constexpr bool is_upper(char c) {
  return c >= 'A' && c <= 'Z';
}

bool is_listed(std::string_view token) {
  return std::binary_search(k_not_claims.begin(), k_not_claims.end(), token);
}

// Whether `token` can never be a claim: short, a number, not ASCII, letterless, or listed.
bool never_claimed(std::string_view token) {
  if (token.size() <= 2 || !is_ident_start(token[0]))
    return true;
  if (!std::all_of(token.begin(), token.end(), is_ident_byte))
    return true;
  if (std::none_of(token.begin(), token.end(), [](char c) { return is_lower(c) || is_upper(c); }))
    return true;
  return is_listed(token);
}

bool has_camel_hump(std::string_view token) {
  for (std::size_t i = 1; i < token.size(); ++i)
    if (is_lower(token[i - 1]) && is_upper(token[i]))
      return true;
  return false;
}

// The end of the run of bytes satisfying `pred` that starts at `i`.
template <class Pred>
std::size_t run_end(std::string_view text, std::size_t i, Pred pred) {
  while (i < text.size() && pred(text[i]))
    ++i;
  return i;
}

template <class F>
void scan_identifiers(std::string_view code, F&& f) {
  std::size_t i = 0;
  while (i < code.size()) {
    if (!is_ident_byte(code[i])) {
      ++i;
      continue;
    }
    const std::size_t end = run_end(code, i, is_ident_byte);
    if (is_ident_start(code[i]))
      f(code.substr(i, end - i));
    i = end;
  }
}

using Claims = std::vector<std::string_view>;  // views into the answer, in order, with repeats

void add_claim(Claims& claims, std::string_view token) {
  if (!never_claimed(token))
    claims.push_back(token);
}

// Length of the connector ("::", "->" or '.') at `i` when an identifier follows it, else 0.
std::size_t connector_at(std::string_view text, std::size_t i) {
  std::size_t length = 0;
  if (text.substr(i, 2) == "::" || text.substr(i, 2) == "->")
    length = 2;
  else if (text.substr(i, 1) == ".")
    length = 1;
  return length > 0 && i + length < text.size() && is_ident_start(text[i + length]) ? length : 0;
}

// Whether a '(' right after a word at `i` marks a call rather than a plural: "value(s)".
bool call_paren_at(std::string_view text, std::size_t i) {
  if (i >= text.size() || text[i] != '(')
    return false;
  return text.substr(i, 3) != "(s)" && text.substr(i, 4) != "(es)";
}

// Whether a chain is a file or host name rather than member access: parts joined by '.' only,
// the last one a file extension or top-level domain, and no call after it.
bool is_file_name(std::string_view chain, std::string_view last, bool call) {
  return !call && chain.find("::") == std::string_view::npos &&
         chain.find("->") == std::string_view::npos &&
         std::binary_search(k_extensions.begin(), k_extensions.end(), last);
}

// How a stretch of the answer is read for claims.
enum class Reading {
  prose,   // tokens that look like code
  fenced,  // the same, skipping double-quoted strings
  span,    // an inline code span: every token
};

// Whether a lone word (not joined to others) is a claim.
bool lone_word_claimed(std::string_view text, std::size_t start, std::size_t end, Reading reading) {
  const std::string_view word = text.substr(start, end - start);
  return reading == Reading::span || word.find('_') != std::string_view::npos ||
         has_camel_hump(word) || call_paren_at(text, end);
}

// Reads the words of `text` from `i` joined by connectors; each part is a claim when there are
// several (unless they name a file), a lone word as lone_word_claimed() says. Returns where the
// chain ends.
std::size_t chain_claims(std::string_view text, std::size_t i, Claims& claims, Reading reading) {
  std::size_t end = run_end(text, i, is_word_byte);
  if (connector_at(text, end) == 0) {
    if (lone_word_claimed(text, i, end, reading))
      add_claim(claims, text.substr(i, end - i));
    return end;
  }
  std::vector<std::string_view> parts{text.substr(i, end - i)};
  for (std::size_t connector = connector_at(text, end); connector > 0;
       connector = connector_at(text, end)) {
    const std::size_t start = end + connector;
    end = run_end(text, start, is_word_byte);
    parts.push_back(text.substr(start, end - start));
  }
  if (is_file_name(text.substr(i, end - i), parts.back(), call_paren_at(text, end)))
    return end;
  for (std::string_view part : parts)
    add_claim(claims, part);
  return end;
}

// The claims of `text`. URLs, paths and e-mail addresses (from a word before "://", '/' or
// '\', or after '/', '\' or '@', to the next white space) are skipped.
void text_claims(std::string_view text, Claims& claims, Reading reading) {
  std::size_t i = 0;
  while (i < text.size()) {
    if (reading == Reading::fenced && text[i] == '"') {
      i = run_end(text, i + 1, [](char c) { return c != '"' && c != '\n'; }) + 1;
      continue;
    }
    if (!is_word_byte(text[i])) {
      ++i;
      continue;
    }
    const char before = i > 0 ? text[i - 1] : ' ';
    const std::size_t word_end = run_end(text, i, is_word_byte);
    const char after = word_end < text.size() ? text[word_end] : ' ';
    if (before == '/' || before == '\\' || before == '@' || after == '/' || after == '\\' ||
        text.substr(word_end, 3) == "://") {
      i = run_end(text, i, [](char c) { return c != ' ' && c != '\n' && c != '\t'; });
      continue;
    }
    i = chain_claims(text, i, claims, reading);
  }
}

// Where the next run of exactly `length` backticks starts at or after `from`, or npos.
std::size_t closing_run(std::string_view text, std::size_t from, std::size_t length) {
  std::size_t i = text.find('`', from);
  while (i != std::string_view::npos) {
    const std::size_t end = run_end(text, i, [](char c) { return c == '`'; });
    if (end - i == length)
      return i;
    i = text.find('`', end);
  }
  return std::string_view::npos;
}

// Reads the backtick run at `i`: a fenced block (3 or more), an inline span, or a literal
// backtick when nothing closes it. Returns where reading goes on.
std::size_t code_claims(std::string_view answer, std::size_t i, Claims& claims) {
  const std::size_t open_end = run_end(answer, i, [](char c) { return c == '`'; });
  const std::size_t length = open_end - i;
  if (length >= 3) {
    const std::size_t line_end = answer.find('\n', open_end);
    const std::size_t body = line_end == std::string_view::npos ? answer.size() : line_end + 1;
    const std::size_t close = answer.find(std::string(length, '`'), body);
    const std::size_t body_end = close == std::string_view::npos ? answer.size() : close;
    text_claims(answer.substr(body, body_end - body), claims, Reading::fenced);
    return close == std::string_view::npos
               ? answer.size()
               : run_end(answer, close, [](char c) { return c == '`'; });
  }
  const std::size_t close = closing_run(answer, open_end, length);
  if (close == std::string_view::npos)
    return open_end;
  text_claims(answer.substr(open_end, close - open_end), claims, Reading::span);
  return close + length;
}

Claims all_claims(std::string_view answer) {
  Claims claims;
  std::size_t i = 0;
  while (i < answer.size()) {
    if (answer[i] == '`') {
      i = code_claims(answer, i, claims);
      continue;
    }
    const std::size_t next = std::min(answer.find('`', i), answer.size());
    text_claims(answer.substr(i, next - i), claims, Reading::prose);
    i = next;
  }
  return claims;
}

struct Claim {
  std::string_view name;
  std::size_t first = 0;  // order of first appearance
  bool found = false;
};

// The distinct claims, sorted by name.
std::vector<Claim> distinct_claims(const Claims& claims) {
  std::vector<Claim> distinct;
  distinct.reserve(claims.size());
  for (std::size_t i = 0; i < claims.size(); ++i)
    distinct.push_back({claims[i], i, false});
  std::stable_sort(distinct.begin(), distinct.end(),
                   [](const Claim& a, const Claim& b) { return a.name < b.name; });
  auto same = [](const Claim& a, const Claim& b) { return a.name == b.name; };
  distinct.erase(std::unique(distinct.begin(), distinct.end(), same), distinct.end());
  return distinct;
}

constexpr std::size_t k_filter_size = 1024;

std::size_t filter_slot(std::string_view token) {
  const std::size_t first = static_cast<unsigned char>(token.front());
  const std::size_t last = static_cast<unsigned char>(token.back());
  return (token.size() * 131 + first * 31 + last) % k_filter_size;
}

}  // namespace

void for_each_identifier(std::string_view code, const std::function<void(std::string_view)>& f) {
  if (f)
    scan_identifiers(code, f);
}

Grounding grounding(std::string_view answer, std::string_view code,
                    const std::function<bool(std::string_view)>& known_elsewhere) {
  std::vector<Claim> claims = distinct_claims(all_claims(answer));
  Grounding result;
  result.claims = static_cast<int>(claims.size());
  if (claims.empty())
    return result;
  // Most tokens of the code are no claim: a filter on length and end bytes skips the search.
  std::bitset<k_filter_size> filter;
  for (const Claim& c : claims)
    filter.set(filter_slot(c.name));
  auto by_name = [](const Claim& c, std::string_view name) { return c.name < name; };
  scan_identifiers(code, [&](std::string_view token) {
    if (!filter.test(filter_slot(token)))
      return;
    auto it = std::lower_bound(claims.begin(), claims.end(), token, by_name);
    if (it != claims.end() && it->name == token)
      it->found = true;
  });
  std::vector<Claim> missing;
  for (Claim& c : claims) {
    if (!c.found && known_elsewhere)
      c.found = known_elsewhere(c.name);
    result.found += c.found ? 1 : 0;
    if (!c.found)
      missing.push_back(c);
  }
  std::sort(missing.begin(), missing.end(),
            [](const Claim& a, const Claim& b) { return a.first < b.first; });
  for (std::size_t i = 0; i < missing.size() && i < k_max_missing; ++i)
    result.missing.emplace_back(missing[i].name);
  result.score = static_cast<double>(result.found) / result.claims;
  return result;
}

}  // namespace g2d::quality
