// Passwords given on a command line, to the few programs that take one as a flag's value:
//   mysql and its tools    -pSECRET (attached: `-p SECRET` prompts, and SECRET is a database)
//   sshpass                -p SECRET, -pSECRET
//   redis-cli              -a SECRET, -aSECRET
//   curl                   -u user:SECRET, -uuser:SECRET, --user user:SECRET, --user=user:SECRET
// The program must start a word (after a blank, a quote, '/', '(' or a shell operator) and be
// followed by a blank; its arguments are read up to the end of the command (a newline, `;`, `|`,
// `&`, `)`, `]` or a backquote), as shell words or as the quoted items of an argument list
// (`["mysql", "-pSECRET"]`). Values that are references or placeholders (`$PW`, `"${PW}"`,
// `<password>`, `YOUR_PASSWORD`) are left, and so is every other program's `-p` (`mkdir -p`,
// `ssh -p 22`, `cp -p`).
#include <array>

#include "redact/detect.hpp"

namespace g2d::redact::detail {
namespace {

constexpr size_t k_max_command = 512;

struct Flag {
  std::string_view text;
  bool attached;   // the value may follow the flag directly (`-pSECRET`)
  bool separated;  // the value may be the next argument (`-p SECRET`)
};

struct Program {
  std::string_view name;
  std::array<Flag, 3> flags;  // empty text: no more flags
  bool user_colon;            // the value is `user:password`
};

constexpr Flag k_mysql_p{"-p", true, false};
constexpr std::array<Program, 14> k_programs = {{
    {"mysql", {k_mysql_p}, false},
    {"mysqldump", {k_mysql_p}, false},
    {"mysqladmin", {k_mysql_p}, false},
    {"mysqlimport", {k_mysql_p}, false},
    {"mysqlcheck", {k_mysql_p}, false},
    {"mysqlshow", {k_mysql_p}, false},
    {"mysqlslap", {k_mysql_p}, false},
    {"mysqlpump", {k_mysql_p}, false},
    {"mariadb", {k_mysql_p}, false},
    {"mariadb-dump", {k_mysql_p}, false},
    {"mariadb-admin", {k_mysql_p}, false},
    {"sshpass", {Flag{"-p", true, true}}, false},
    {"redis-cli", {Flag{"-a", true, true}}, false},
    {"curl",
     {Flag{"-u", true, true}, Flag{"--user", false, true}, Flag{"--user=", true, false}},
     true},
}};

bool is_quote(char c) {
  return c == '"' || c == '\'';
}
bool ends_command(char c) {
  return c == '\n' || c == ';' || c == '|' || c == '&' || c == ')' || c == ']' || c == '`';
}
bool between_words(char c) {
  return is_space(c) || is_quote(c) || c == ',';
}
bool starts_program(char c) {
  return is_space(c) || c == '\n' || is_quote(c) || c == '/' || c == '(' || c == '[' || c == '`' ||
         c == ';' || c == '|' || c == '&' || c == '=';
}

struct Value {
  size_t begin = 0;
  size_t end = 0;
};

// The value at `at`: a quoted one (to its closing quote on the same line) or a bare word.
Value value_at(std::string_view text, size_t at, size_t limit) {
  if (at < limit && is_quote(text[at])) {
    size_t close = at + 1;
    while (close < limit && text[close] != text[at] && text[close] != '\n')
      ++close;
    if (close >= limit || text[close] != text[at])
      return {};
    return Value{at + 1, close};
  }
  size_t end = at;
  while (end < limit && !between_words(text[end]) && !ends_command(text[end]))
    ++end;
  return Value{at, end};
}

void add_value(std::string_view text, Value v, bool user_colon, std::vector<Span>& out) {
  if (user_colon) {
    // The ':' of an earlier pass's placeholder (a token given as the user) separates nothing.
    constexpr std::string_view k_placeholder = "<redacted:";
    const std::string_view user_password = text.substr(v.begin, v.end - v.begin);
    size_t colon = user_password.find(':');
    while (colon != std::string_view::npos && colon + 1 >= k_placeholder.size() &&
           user_password.substr(colon + 1 - k_placeholder.size(), k_placeholder.size()) ==
               k_placeholder)
      colon = user_password.find(':', colon + 1);
    if (colon == std::string_view::npos)
      return;  // no password: curl asks for one
    v.begin += colon + 1;
  }
  std::string_view value = text.substr(v.begin, v.end - v.begin);
  if (value.empty() || is_placeholder(value) || value.front() == '[')
    return;
  out.push_back(Span{v.begin, v.end, "password", Source::command, true});
}

// The arguments of `program` from `at` to the end of its command; returns where it stopped (a
// program named again before that is an argument, and its flags have been read already).
size_t scan_arguments(std::string_view text, size_t at, const Program& program,
                      std::vector<Span>& out) {
  size_t limit = std::min(text.size(), at + k_max_command);
  size_t i = at;
  while (i < limit) {
    while (i < limit && between_words(text[i]))
      ++i;
    if (i >= limit || ends_command(text[i]))
      return i;
    size_t word = i;
    while (i < limit && !between_words(text[i]) && !ends_command(text[i]))
      ++i;
    std::string_view arg = text.substr(word, i - word);
    bool quote_follows = i < limit && is_quote(text[i]);
    // An item of an argument list (`"-p"`) ends at the same quote that opened it; otherwise a
    // quote right after a flag opens its value (`-p'a b'`).
    bool list_item = quote_follows && word > 0 && text[word - 1] == text[i];
    for (const Flag& flag : program.flags) {
      if (flag.text.empty() || !arg.starts_with(flag.text))
        continue;
      if (arg.size() > flag.text.size()) {
        if (!flag.attached)
          continue;  // `--user` is not `--userx`
        add_value(text, Value{word + flag.text.size(), i}, program.user_colon, out);
      } else if (quote_follows && !list_item) {
        if (flag.attached) {
          const Value value = value_at(text, i, limit);
          add_value(text, value, program.user_colon, out);
          if (value.end > i)
            i = value.end + 1;  // past its closing quote: what it holds is no argument
        }
      } else if (flag.separated) {
        size_t next = list_item ? i + 1 : i;
        while (next < limit && (is_space(text[next]) || text[next] == ','))
          ++next;
        if (next < limit && !ends_command(text[next])) {
          const Value value = value_at(text, next, limit);
          add_value(text, value, program.user_colon, out);
          if (is_quote(text[next]) && value.end > next)
            i = value.end + 1;  // as above
        }
      }
      break;
    }
  }
  return i;
}

}  // namespace

void find_command_passwords(std::string_view text, std::vector<Span>& out) {
  for (const Program& program : k_programs) {
    size_t pos = 0;
    while ((pos = text.find(program.name, pos)) != std::string_view::npos) {
      size_t after = pos + program.name.size();
      bool starts = pos == 0 || starts_program(text[pos - 1]);
      pos = after;
      if (!starts || after >= text.size() || !(is_space(text[after]) || is_quote(text[after])))
        continue;
      pos = scan_arguments(text, after, program, out);
    }
  }
}

}  // namespace g2d::redact::detail
