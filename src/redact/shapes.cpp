// Tokens recognisable by their own shape — a fixed prefix and a body of a known alphabet and
// length — and passwords in URLs. A token must start a word (the byte before it is not a letter,
// digit, '-' or '_') and must not run on into a longer word. Bodies that are masked (`XXXX`,
// `EXAMPLE`) are documentation, not secrets.
#include <algorithm>
#include <array>
#include <optional>

#include "redact/detect.hpp"

namespace g2d::redact::detail {
namespace {

struct Match {
  size_t begin = 0;  // the secret: the whole token, or only its value after a label
  size_t end = 0;
  std::string_view kind;
};
using Found = std::optional<Match>;

bool starts_with_at(std::string_view text, size_t at, std::string_view prefix) {
  return text.substr(at, prefix.size()) == prefix;
}

bool masked(std::string_view body) {
  for (std::string_view mark : {"XXXX", "xxxx", "EXAMPLE", "example"})
    if (body.find(mark) != std::string_view::npos)
      return true;
  return std::all_of(body.begin(), body.end(), [&](char c) { return c == body.front(); });
}

struct Mix {
  bool digit = false;
  bool upper = false;
  bool lower = false;
};

Mix mix_of(std::string_view s) {
  Mix m;
  for (char c : s) {
    uint8_t k = char_class(c);
    m.digit = m.digit || k == k_digit;
    m.upper = m.upper || k == k_upper;
    m.lower = m.lower || k == k_lower;
  }
  return m;
}

bool upper_or_digit(char c) {
  return char_class(c) == k_upper || is_digit(c);
}
bool alnum_or_underscore(char c) {
  return is_alnum(c) || c == '_';
}
bool alnum_or_dash(char c) {
  return is_alnum(c) || c == '-';
}
bool webhook_char(char c) {
  return is_alnum(c) || c == '/' || c == '_';
}
bool bearer_char(char c) {
  return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

// `prefix_len` bytes of prefix at `at`, then a body of `min`..`max` characters satisfying `pred`
// that is not followed by another word character.
template <typename Pred>
Found token(std::string_view text, size_t at, size_t prefix_len, size_t min, size_t max, Pred pred,
            std::string_view kind) {
  size_t body = at + prefix_len;
  size_t end = run_end(text, body, max, pred);
  if (end - body < min || end - body > max || (end < text.size() && is_word(text[end])))
    return std::nullopt;
  if (masked(text.substr(body, end - body)))
    return std::nullopt;
  return Match{at, end, kind};
}

// A labelled value (`AccountKey=...`): only the value is the secret.
Found labelled_base64(std::string_view text, size_t at, size_t label_len, std::string_view kind) {
  size_t value = at + label_len;
  size_t end = run_end(text, value, 200, is_base64);
  if (end - value < 20 || end - value > 200)
    return std::nullopt;
  return Match{value, end, kind};
}

Found jwt(std::string_view text, size_t at) {
  size_t header_end = run_end(text, at, 4096, is_word);
  if (header_end - at < 10 || header_end - at > 4096 || header_end >= text.size() ||
      text[header_end] != '.')
    return std::nullopt;
  size_t payload = header_end + 1;
  if (!starts_with_at(text, payload, "ey"))
    return std::nullopt;
  size_t payload_end = run_end(text, payload, 16384, is_word);
  if (payload_end - payload < 10 || payload_end - payload > 16384 || payload_end >= text.size() ||
      text[payload_end] != '.')
    return std::nullopt;
  size_t signature = payload_end + 1;
  size_t end = run_end(text, signature, 4096, is_word);
  if (end - signature < 16 || end - signature > 4096)
    return std::nullopt;
  return Match{at, end, "jwt"};
}

Found match_at(std::string_view text, size_t at, bool allow_bearer);

Found bearer(std::string_view text, size_t at) {
  size_t value = at + 7;  // "Bearer "
  while (value < text.size() && value < at + 12 && text[value] == ' ')
    ++value;
  if (value >= text.size() || !is_word(text[value]))
    return std::nullopt;
  if (Found inner = match_at(text, value, false))
    return inner;
  size_t end = run_end(text, value, 1024, bearer_char);
  if (end - value > 1024)
    return std::nullopt;
  end = run_end(text, end, 3, [](char c) { return c == '='; });
  std::string_view v = text.substr(value, end - value);
  Mix m = mix_of(v);
  if (v.size() < 20 || !m.digit || !(m.upper || m.lower) || is_placeholder(v) || masked(v))
    return std::nullopt;
  return Match{value, end, "bearer-token"};
}

Found match_at(std::string_view text, size_t at, bool allow_bearer) {
  auto has = [&](std::string_view prefix) { return starts_with_at(text, at, prefix); };
  switch (text[at]) {
    case 'A':
      if (has("AKIA") || has("ASIA") || has("ABIA") || has("ACCA"))
        return token(text, at, 4, 16, 16, upper_or_digit, "aws-access-key");
      if (has("AIza"))
        return token(text, at, 4, 35, 35, is_word, "gcp-api-key");
      if (has("AccountKey="))
        return labelled_base64(text, at, 11, "azure-storage-key");
      if (has("AGE-SECRET-KEY-1"))
        return token(text, at, 16, 50, 70, upper_or_digit, "age-secret-key");
      return std::nullopt;
    case 'S':
      if (has("SharedAccessKey="))
        return labelled_base64(text, at, 16, "azure-storage-key");
      if (has("SG.")) {
        size_t dot = run_end(text, at + 3, 40, is_word);
        if (dot - at - 3 < 16 || dot >= text.size() || text[dot] != '.')
          return std::nullopt;
        Found f = token(text, dot + 1, 0, 30, 80, is_word, "sendgrid-api-key");
        return f ? Found(Match{at, f->end, f->kind}) : std::nullopt;
      }
      if (has("SK")) {
        Found f = token(text, at, 2, 32, 32, is_hex, "twilio-api-key");
        Mix m = mix_of(text.substr(at + 2, 32));
        return f && m.digit && (m.lower || m.upper) ? f : std::nullopt;
      }
      return std::nullopt;
    case 'G':
      return has("GOCSPX-") ? token(text, at, 7, 24, 64, is_word, "gcp-oauth-secret")
                            : std::nullopt;
    case 'g':
      if (has("github_pat_"))
        return token(text, at, 11, 40, 255, alnum_or_underscore, "github-token");
      if (has("gh") && at + 3 < text.size() && text[at + 3] == '_' &&
          std::string_view("pousr").find(text[at + 2]) != std::string_view::npos)
        return token(text, at, 4, 30, 255, is_alnum, "github-token");
      if (has("glpat-"))
        return token(text, at, 6, 20, 64, is_word, "gitlab-token");
      return std::nullopt;
    case 'x':
      if ((has("xox") && at + 4 < text.size() && text[at + 4] == '-' &&
           std::string_view("abposre").find(text[at + 3]) != std::string_view::npos) ||
          has("xapp-")) {
        Found f = token(text, at, 5, 10, 255, alnum_or_dash, "slack-token");
        return f && mix_of(text.substr(at + 5, f->end - at - 5)).digit ? f : std::nullopt;
      }
      return std::nullopt;
    case 'h':
      if (has("hooks.slack.com/services/")) {
        size_t value = at + 25;
        size_t end = run_end(text, value, 128, webhook_char);
        if (end - value < 20 || end - value > 128 || masked(text.substr(value, end - value)))
          return std::nullopt;
        return Match{value, end, "slack-webhook"};
      }
      if (has("hf_")) {
        Found f = token(text, at, 3, 30, 64, is_alnum, "huggingface-token");
        Mix m = f ? mix_of(text.substr(at + 3, f->end - at - 3)) : Mix{};
        return m.upper && m.lower ? f : std::nullopt;
      }
      return std::nullopt;
    case 's':
      if (has("sk_live_") || has("sk_test_"))
        return token(text, at, 8, 16, 255, is_alnum, "stripe-key");
      if (has("sk-ant-"))
        return token(text, at, 7, 32, 300, is_word, "anthropic-api-key");
      if (has("sk-")) {
        Found f = token(text, at, 3, 32, 300, is_word, "openai-api-key");
        Mix m = f ? mix_of(text.substr(at + 3, f->end - at - 3)) : Mix{};
        return m.digit && m.upper && m.lower ? f : std::nullopt;
      }
      return std::nullopt;
    case 'r':
      return has("rk_live_") || has("rk_test_")
                 ? token(text, at, 8, 16, 255, is_alnum, "stripe-key")
                 : std::nullopt;
    case 'n':
      return has("npm_") ? token(text, at, 4, 36, 64, is_alnum, "npm-token") : std::nullopt;
    case 'p':
      return has("pypi-") ? token(text, at, 5, 50, 512, is_word, "pypi-token") : std::nullopt;
    case 'y':
      return has("ya29.") ? token(text, at, 5, 20, 2048, is_word, "gcp-access-token")
                          : std::nullopt;
    case 'e':
      return has("eyJ") ? jwt(text, at) : std::nullopt;
    case 'B':
    case 'b':
      return allow_bearer && (has("Bearer ") || has("bearer ")) ? bearer(text, at) : std::nullopt;
    default:
      return std::nullopt;
  }
}

constexpr std::array<bool, 256> make_starters() {
  std::array<bool, 256> table{};
  for (unsigned char c : std::string_view("ASGgxhsrnpyeBb"))
    table[c] = true;
  return table;
}
constexpr std::array<bool, 256> k_starters = make_starters();

bool ends_url_authority(char c) {
  return is_space(c) || c == '\n' || c == '/' || c == '?' || c == '#' || c == '"' || c == '\'' ||
         c == '`' || c == '<' || c == '>' || c == '\\';
}

// The user part of a URL's userinfo: unreserved characters, %-escapes and sub-delimiters.
bool user_char(char c) {
  return is_alnum(c) ||
         (c != '\0' && std::string_view("-._~%!$&'()*+,;=").find(c) != std::string_view::npos);
}

// A host after '@': a name or an IPv4 address (letters, digits, '-', '.'), or an IPv6 literal in
// brackets, then a port, the end of the authority, or the end of the text.
bool host_at(std::string_view text, size_t from, size_t limit) {
  size_t i = from;
  if (i < limit && text[i] == '[') {
    while (i < limit && text[i] != ']')
      ++i;
    if (i >= limit)
      return false;
    ++i;
  } else {
    size_t begin = i;
    while (i < limit && (is_alnum(text[i]) || text[i] == '-' || text[i] == '.'))
      ++i;
    if (i == begin)
      return false;
  }
  return i >= text.size() || text[i] == ':' || ends_url_authority(text[i]) || text[i] == ',' ||
         text[i] == ';' || text[i] == ')';
}

// `scheme://user:pass#w/o?rd@host`: a password holding '/', '?' or '#' unencoded, which a URL
// parser would read as the start of the path, query or fragment. Taken as a password only when the
// user part is a plain user name, what follows the ':' is not a port (digits), and an '@' followed
// by a host comes before any blank or quote. Returns the position of that '@', or npos.
size_t password_with_delimiters(std::string_view text, size_t start, size_t colon, size_t limit) {
  for (size_t i = start; i < colon; ++i)
    if (!user_char(text[i]))
      return std::string_view::npos;
  size_t port_end = colon + 1;
  while (port_end < limit && is_digit(text[port_end]))
    ++port_end;
  if (port_end > colon + 1 && port_end < limit &&
      (text[port_end] == '/' || text[port_end] == '?' || text[port_end] == '#'))
    return std::string_view::npos;  // host:8080/path
  for (size_t i = colon + 1; i < limit; ++i) {
    char c = text[i];
    if (is_space(c) || c == '\n' || c == '"' || c == '\'' || c == '`' || c == '<' || c == '>' ||
        c == '\\')
      return std::string_view::npos;
    if (c == '@')
      return host_at(text, i + 1, limit) ? i : std::string_view::npos;
  }
  return std::string_view::npos;
}

}  // namespace

void find_shaped_tokens(std::string_view text, std::vector<Span>& out) {
  size_t i = 0;
  while (i < text.size()) {
    if (!is_word(text[i])) {
      ++i;
      continue;
    }
    if (k_starters[static_cast<unsigned char>(text[i])]) {
      if (Found f = match_at(text, i, true)) {
        out.push_back(Span{f->begin, f->end, f->kind, Source::shape, true});
        i = f->end;
        continue;
      }
    }
    while (i < text.size() && is_word(text[i]))
      ++i;
  }
}

void find_url_passwords(std::string_view text, std::vector<Span>& out) {
  constexpr size_t k_max_authority = 256;
  size_t pos = 0;
  while ((pos = text.find("://", pos)) != std::string_view::npos) {
    size_t start = pos + 3;
    bool has_scheme = pos > 0 && is_alnum(text[pos - 1]);
    pos = start;
    if (!has_scheme)
      continue;
    size_t limit = std::min(text.size(), start + k_max_authority);
    size_t colon = std::string_view::npos;
    size_t at = std::string_view::npos;
    size_t i = start;
    for (; i < limit && !ends_url_authority(text[i]); ++i) {
      if (text[i] == '@')
        at = i;
      else if (text[i] == ':' && colon == std::string_view::npos)
        colon = i;
    }
    if (at == std::string_view::npos && colon != std::string_view::npos && i < limit &&
        (text[i] == '/' || text[i] == '?' || text[i] == '#')) {
      at = password_with_delimiters(text, start, colon, limit);
    }
    if (at == std::string_view::npos || colon == std::string_view::npos || colon > at)
      continue;
    if (at + 1 >= text.size() || !(is_alnum(text[at + 1]) || text[at + 1] == '['))
      continue;
    std::string_view password = text.substr(colon + 1, at - colon - 1);
    if (is_placeholder(password))
      continue;
    out.push_back(Span{colon + 1, at, "url-password", Source::url, true});
  }
}

}  // namespace g2d::redact::detail
