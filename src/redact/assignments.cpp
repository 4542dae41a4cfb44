// Secrets assigned to a name that says what they are: `db_password = "..."`, `"api_key": "..."`,
// `export SECRET_TOKEN=...`, `#define API_KEY "..."`, `password: ...` (YAML), `token: str = "..."`.
//
// A name qualifies by its last word (words split at `_`, `-`, `.` and camelCase): password,
// passwd, pwd, passphrase, (db_)pass, secret, token, or key after api/access/secret/private/...
// (`TOKEN_TYPES`, `password_hash`, `token_url` do not). The value must be a literal on the same
// line; unquoted values (YAML, .env, shell, properties, flags) must not look like an expression
// (no brackets, calls, `$`, member access) and must hold a digit. Then the literal must look like
// a secret: no whitespace, not a placeholder, not containing its own keyword ("current-password"),
// and varied enough — a password at least 6 bytes mixing two of lower case, upper case and
// digits, not a list of words ("required|min:8"); other secrets at least 12 bytes, 3 bits of
// entropy per byte, a digit (or 20+ bytes of mixed case), and mostly not made of words. An
// unquoted value that reads as a variable (`db_pass1`, `nextToken2`) is left alone.
//
// A user/password pair counts too when a name says so: the value of `auth`, `http_auth`,
// `credentials` (`auth=("user", "pw")`, `'auth' => ['user', 'pw']`), the first two arguments of a
// call named so or `login`/`authenticate` (`HTTPBasicAuth("user", "pw")`, `smtp.login(...)`), or a
// pair among the arguments of `connect` (`client.connect(host, ("user", "pw"))`). The user may be
// a literal or a name; the password must be a literal that looks like a password (as above), so
// `("GET", "/path")`, `auth=("user", password)` and `auth=("user", "pass")` are left.
#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "redact/detect.hpp"

namespace g2d::redact::detail {
namespace {

constexpr size_t k_max_value = 512;
constexpr size_t k_max_name_tail = 64;

enum class Family : uint8_t { none, password, secret, token, key };

struct Name {
  Family family = Family::none;
  std::string_view kind;
  bool aws = false;
};

bool is_name_char(char c) {
  return is_word(c) || c == '.';
}
bool is_quote(char c) {
  return c == '"' || c == '\'' || c == '`';
}
template <size_t N>
bool one_of(std::string_view s, const std::array<std::string_view, N>& words) {
  return std::find(words.begin(), words.end(), s) != words.end();
}

// The words of `name`, lower-cased, split at separators and camelCase boundaries.
std::vector<std::string> words_of(std::string_view name) {
  std::vector<std::string> words(1);
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (c == '_' || c == '-' || c == '.') {
      if (!words.back().empty())
        words.emplace_back();
      continue;
    }
    bool upper = char_class(c) == k_upper;
    bool camel = i > 0 && upper && (char_class(name[i - 1]) & (k_lower | k_digit)) != 0;
    bool acronym_end = i > 0 && upper && char_class(name[i - 1]) == k_upper &&
                       i + 1 < name.size() && char_class(name[i + 1]) == k_lower;
    if ((camel || acronym_end) && !words.back().empty())
      words.emplace_back();
    words.back() += lower(c);
  }
  if (words.back().empty())
    words.pop_back();
  return words;
}

Name classify(std::string_view name) {
  if (name.size() > k_max_name_tail)
    name = name.substr(name.size() - k_max_name_tail);
  std::vector<std::string> words = words_of(name);
  if (words.empty())
    return {};
  std::string_view last = words.back();
  std::string_view before = words.size() > 1 ? std::string_view(words[words.size() - 2]) : "";
  Name result;
  result.aws = std::find(words.begin(), words.end(), "aws") != words.end();
  static constexpr std::array<std::string_view, 4> k_password = {"password", "passwd", "pwd",
                                                                 "passphrase"};
  static constexpr std::array<std::string_view, 12> k_pass_owner = {
      "",   "db",       "user",  "admin", "root", "mysql",
      "pg", "postgres", "redis", "smtp",  "mail", "ldap"};
  static constexpr std::array<std::string_view, 16> k_key_owner = {
      "api",    "access", "secret",  "private", "auth",    "signing",      "encryption", "master",
      "client", "app",    "account", "license", "storage", "subscription", "hmac",       "webhook"};
  static constexpr std::array<std::string_view, 6> k_joined_keys = {
      "apikey", "accesskey", "secretkey", "privatekey", "authkey", "signingkey"};
  if (one_of(last, k_password) || last.ends_with("password") || last.ends_with("passwd") ||
      (last == "pass" && one_of(before, k_pass_owner))) {
    result.family = Family::password;
    result.kind = "password";
  } else if (last.ends_with("secret")) {
    result.family = Family::secret;
    result.kind = "secret";
  } else if (last.ends_with("token")) {
    result.family = Family::token;
    result.kind = "token";
  } else if ((last == "key" && one_of(before, k_key_owner)) || one_of(last, k_joined_keys)) {
    result.family = Family::key;
    if (before == "private" || last == "privatekey")
      result.kind = "private-key";
    else if (before == "api" || last == "apikey")
      result.kind = "api-key";
    else
      result.kind = "secret-key";
  }
  return result;
}

// Whether `#define` (and blanks) precede `name_begin` on its line.
bool after_define(std::string_view text, size_t name_begin) {
  size_t i = name_begin;
  size_t blanks = 0;
  while (i > 0 && is_space(text[i - 1]) && blanks < 16) {
    --i;
    ++blanks;
  }
  if (blanks == 0 || i < 7 || text.substr(i - 6, 6) != "define")
    return false;
  i -= 6;
  for (blanks = 0; i > 0 && is_space(text[i - 1]) && blanks < 16; ++blanks)
    --i;
  return i > 0 && text[i - 1] == '#';
}

size_t skip_blanks(std::string_view text, size_t i) {
  size_t limit = std::min(text.size(), i + 64);
  while (i < limit && is_space(text[i]))
    ++i;
  return i;
}

bool is_type_char(char c) {
  return is_name_char(c) || c == '<' || c == '>' || c == '[' || c == ']' || c == '|' || c == '&' ||
         c == '?' || c == '*';
}

struct Operator {
  size_t value = std::string_view::npos;  // where the value starts; npos: no assignment here
  bool define = false;                    // `#define NAME value`: the value must be quoted
};

// The assignment operator after the name text[begin, end), in any of the syntaxes above.
Operator find_operator(std::string_view text, size_t begin, size_t end) {
  size_t n = text.size();
  size_t p = end;
  if (begin > 0 && is_quote(text[begin - 1]) && p < n && text[p] == text[begin - 1])
    ++p;  // "api_key": ...
  if (p < n && text[p] == ']') {
    ++p;  // config["password"] = ...
  } else if (p < n && text[p] == '[') {
    size_t close = run_end(text, p + 1, 8, is_digit);  // char password[] = ...
    if (close >= n || text[close] != ']')
      return {};
    p = close + 1;
  }
  p = skip_blanks(text, p);
  if (p >= n)
    return {};
  char next = p + 1 < n ? text[p + 1] : '\0';
  Operator op;
  if (text[p] == '=') {
    if (next == '=')
      return {};
    op.value = p + (next == '>' ? 2 : 1);
  } else if (text[p] == ':') {
    if (next == ':')
      return {};
    if (next == '=') {
      op.value = p + 2;
    } else {
      op.value = p + 1;
      // A typed declaration: `token: str = "..."`, `val secret: String = "..."`.
      size_t type = skip_blanks(text, p + 1);
      size_t type_end = run_end(text, type, 64, is_type_char);
      size_t eq = skip_blanks(text, type_end);
      if (type_end > type && type_end <= type + 64 && eq < n && text[eq] == '=' &&
          (eq + 1 >= n || (text[eq + 1] != '=' && text[eq + 1] != '>')))
        op.value = eq + 1;
    }
  } else if (p > end && after_define(text, begin)) {
    op.value = p;
    op.define = true;
  } else {
    return {};
  }
  op.value = skip_blanks(text, op.value);
  return op;
}

struct Literal {
  size_t begin = 0;
  size_t end = 0;
  bool quoted = false;
};

// The literal value at `at`, if there is one on this line.
std::optional<Literal> read_literal(std::string_view text, size_t at, bool quoted_only) {
  size_t n = text.size();
  if (at >= n)
    return std::nullopt;
  size_t quote = at;
  while (quote < n && quote < at + 2 &&
         std::string_view("rRbBuUfFL8").find(text[quote]) != std::string_view::npos)
    ++quote;  // r"...", b'...', u8"...", f"..."
  if (quote < n && is_quote(text[quote])) {
    char q = text[quote];
    size_t limit = std::min(n, quote + 1 + k_max_value);
    size_t i = quote + 1;
    if (i < n && text[i] == q)
      return std::nullopt;  // "" or a """ block
    while (i < limit && text[i] != q && text[i] != '\n')
      i += (text[i] == '\\' && i + 1 < limit && text[i + 1] != '\n') ? 2 : 1;
    if (i >= limit || text[i] != q)
      return std::nullopt;
    return Literal{quote + 1, i, true};
  }
  if (quoted_only)
    return std::nullopt;
  size_t end = run_end(text, at, k_max_value, [](char c) {
    return !is_space(c) && c != '\n' && !is_quote(c) && c != ';' && c != ',';
  });
  if (end - at > k_max_value || end == at)
    return std::nullopt;
  std::string_view value = text.substr(at, end - at);
  if (value.find_first_of("()[]{}<>$\\#&*!|") == 0 ||
      value.find_first_of("()[]{}<>$\\") != std::string_view::npos)
    return std::nullopt;  // an expression, a reference, a YAML anchor/tag/block, a comment
  for (size_t i = 0; i + 1 < value.size(); ++i)
    if (value[i] == '.' && (is_letter(value[i + 1]) || value[i + 1] == '_'))
      return std::nullopt;  // member access: self.token, process.env.X
  return Literal{at, end, false};
}

struct Shape {
  size_t lower = 0, upper = 0, digit = 0, other = 0;
  size_t letters_in_words = 0;  // letters in word-like runs of 4+ ("secret", "Name", "HTTP")
  size_t long_words = 0;        // word-like runs of 3+
  size_t odd_runs = 0;          // letter runs of 2+ that are not word-like ("tS", "QYb")
};

Shape shape_of(std::string_view v) {
  Shape s;
  size_t i = 0;
  while (i < v.size()) {
    uint8_t k = char_class(v[i]);
    if (k == k_digit)
      ++s.digit;
    if (k != k_lower && k != k_upper) {
      s.other += k == k_digit ? 0 : 1;
      ++i;
      continue;
    }
    // A run of letters up to the next camelCase boundary.
    size_t start = i;
    size_t uppers = 0;
    while (i < v.size() && is_letter(v[i])) {
      bool up = char_class(v[i]) == k_upper;
      if (i > start && up && char_class(v[i - 1]) == k_lower)
        break;
      uppers += up ? 1 : 0;
      ++i;
    }
    size_t len = i - start;
    s.upper += uppers;
    s.lower += len - uppers;
    bool word_like =
        uppers == 0 || uppers == len || (uppers == 1 && char_class(v[start]) == k_upper);
    if (word_like && len >= 4)
      s.letters_in_words += len;
    if (word_like && len >= 3)
      ++s.long_words;
    if (!word_like && len >= 2)
      ++s.odd_runs;
  }
  return s;
}

bool contains_lowered(std::string_view value, std::string_view word) {
  if (word.empty() || value.size() < word.size())
    return false;
  for (size_t i = 0; i + word.size() <= value.size(); ++i) {
    size_t k = 0;
    while (k < word.size() && lower(value[i + k]) == word[k])
      ++k;
    if (k == word.size())
      return true;
  }
  return false;
}

// An identifier with an underscore, or whose digits all come at its end: `db_pass1`, `token2`.
bool looks_like_variable(std::string_view v) {
  if (!std::all_of(v.begin(), v.end(), [](char c) { return is_alnum(c) || c == '_'; }))
    return false;
  size_t last_letter = v.find_last_not_of("0123456789");
  bool digits_at_end =
      v.substr(0, last_letter + 1).find_first_of("0123456789") == std::string_view::npos;
  return v.find('_') != std::string_view::npos || digits_at_end;
}

bool looks_secret(std::string_view v, Family family, bool quoted) {
  if (std::any_of(v.begin(), v.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == 0x7F; }))
    return false;
  if (is_placeholder(v) || v.find("://") != std::string_view::npos)
    return false;
  std::string_view own = family == Family::password ? "passw"
                         : family == Family::secret ? "secret"
                         : family == Family::token  ? "token"
                                                    : "";
  if (contains_lowered(v, own))
    return false;
  Shape s = shape_of(v);
  size_t letters = s.lower + s.upper;
  if (!quoted && (s.digit == 0 || letters == 0))
    return false;
  bool wordy = letters > 0 && s.letters_in_words * 2 >= letters;
  if (!quoted && wordy && looks_like_variable(v))
    return false;  // `password = db_pass1`, `token = nextToken2`
  if (family == Family::password) {
    // Symbols alone do not make a word a password: `-anonymous@` is a word.
    size_t classes = (s.lower > 0) + (s.upper > 0) + (s.digit > 0);
    bool word_list = s.long_words >= 2 && s.odd_runs == 0;
    return v.size() >= 6 && classes >= 2 && entropy(v) >= 2.0 && !word_list;
  }
  if (v.size() < 12 || letters == 0 || entropy(v) < 3.0 || wordy)
    return false;
  return s.digit > 0 || (v.size() >= 20 && s.upper >= 2 && s.lower >= 2);
}

bool is_aws_secret(std::string_view v) {
  return v.size() == 40 && std::all_of(v.begin(), v.end(), is_base64);
}

void check_name(std::string_view text, size_t begin, size_t end, std::vector<Span>& out) {
  if (end - begin < 3)
    return;
  char last = lower(text[end - 1]);
  if (std::string_view("dsetny").find(last) == std::string_view::npos)
    return;  // no keyword ends so: most names stop here
  Operator op = find_operator(text, begin, end);
  if (op.value == std::string_view::npos)
    return;
  Name name = classify(text.substr(begin, end - begin));
  if (name.family == Family::none)
    return;
  std::optional<Literal> lit = read_literal(text, op.value, op.define);
  if (!lit)
    return;
  std::string_view value = text.substr(lit->begin, lit->end - lit->begin);
  if (!looks_secret(value, name.family, lit->quoted))
    return;
  std::string_view kind = name.kind;
  if (name.aws && (name.family == Family::secret || kind == "secret-key") && is_aws_secret(value))
    kind = "aws-secret-key";
  out.push_back(Span{lit->begin, lit->end, kind, Source::assignment, true});
}

// ----- User/password pairs: `auth=("user", "pw")`, `HTTPBasicAuth("user", "pw")`,
// `client.connect(host, ("user", "pw"))`.

enum class PairContext : uint8_t { none, value, call, nested };

// What a name says about a pair near it: `auth`, `http_auth`, `credentials` take a pair as their
// value (`auth = (...)`) or as their first two arguments (`BasicAuth(...)`, `login(...)`);
// `connect` only holds one as an argument of its own (`connect(host, (...))`).
PairContext pair_context(std::string_view name, bool call) {
  if (name.size() > k_max_name_tail)
    name = name.substr(name.size() - k_max_name_tail);
  std::vector<std::string> words = words_of(name);
  if (words.empty())
    return PairContext::none;
  std::string_view last = words.back();
  static constexpr std::array<std::string_view, 4> k_value = {"auth", "credentials", "credential",
                                                              "creds"};
  static constexpr std::array<std::string_view, 3> k_call = {"login", "authentication",
                                                             "authenticate"};
  if (one_of(last, k_value))
    return call ? PairContext::call : PairContext::value;
  if (call && one_of(last, k_call))
    return PairContext::call;
  if (call && last == "connect")
    return PairContext::nested;
  return PairContext::none;
}

// The end of one argument at `at` that is not a quoted literal: a name or member chain (`user`,
// `cfg.user`, `$user`), else npos.
size_t identifier_end(std::string_view text, size_t at) {
  size_t end = run_end(text, at, 128, [](char c) { return is_name_char(c) || c == '$'; });
  return end > at && end <= at + 128 ? end : std::string_view::npos;
}

// `open` is the '(' or '[' of a pair or an argument list: a user (literal or name), ',', a quoted
// password literal, then ')' / ']' (a pair) or also ',' (`positional`: the call's first two
// arguments). The password's span when it looks like one.
std::optional<Literal> pair_password(std::string_view text, size_t open, bool positional) {
  size_t i = skip_blanks(text, open + 1);
  if (auto user = read_literal(text, i, true)) {
    i = user->end + 1;
  } else {
    i = identifier_end(text, i);
    if (i == std::string_view::npos)
      return std::nullopt;
  }
  i = skip_blanks(text, i);
  if (i >= text.size() || text[i] != ',')
    return std::nullopt;
  i = skip_blanks(text, i + 1);
  auto password = read_literal(text, i, true);
  if (!password)
    return std::nullopt;
  size_t after = skip_blanks(text, password->end + 1);
  char close = text[open] == '(' ? ')' : ']';
  if (after >= text.size() || !(text[after] == close || (positional && text[after] == ',')))
    return std::nullopt;
  std::string_view value = text.substr(password->begin, password->end - password->begin);
  if (!looks_secret(value, Family::password, true))
    return std::nullopt;
  return password;
}

void add_pair(std::optional<Literal> password, std::vector<Span>& out) {
  if (password)
    out.push_back(Span{password->begin, password->end, "password", Source::assignment, true});
}

void check_pair(std::string_view text, size_t begin, size_t end, std::vector<Span>& out) {
  char last = lower(text[end - 1]);
  if (std::string_view("hnlst").find(last) == std::string_view::npos)
    return;  // no pair keyword ends so
  size_t n = text.size();
  if (end < n && text[end] == '(') {
    PairContext context = pair_context(text.substr(begin, end - begin), true);
    if (context == PairContext::call) {
      add_pair(pair_password(text, end, true), out);
    } else if (context == PairContext::nested) {
      // A pair among the call's arguments, on the same line.
      size_t limit = std::min(n, end + 256);
      for (size_t i = end + 1; i < limit && text[i] != '\n' && text[i] != ')'; ++i) {
        if (text[i] == '(' || text[i] == '[') {
          add_pair(pair_password(text, i, false), out);
          break;
        }
      }
    }
    return;
  }
  Operator op = find_operator(text, begin, end);
  if (op.value == std::string_view::npos || op.define || op.value >= n ||
      (text[op.value] != '(' && text[op.value] != '['))
    return;
  if (pair_context(text.substr(begin, end - begin), false) == PairContext::value)
    add_pair(pair_password(text, op.value, false), out);
}

}  // namespace

void find_assignments(std::string_view text, std::vector<Span>& out) {
  size_t i = 0;
  while (i < text.size()) {
    if (!is_name_char(text[i])) {
      ++i;
      continue;
    }
    size_t begin = i;
    while (i < text.size() && is_name_char(text[i]))
      ++i;
    check_name(text, begin, i, out);
    check_pair(text, begin, i, out);
  }
}

}  // namespace g2d::redact::detail
