// redact/redact.hpp — secrets found in a file's text are replaced before the text reaches a
// prompt, so they can never appear in a prompt, a sample or a log line.
//
// redact_secrets() finds, in one pass per detector family and without regular expressions:
//   - private key blocks: `-----BEGIN ... PRIVATE KEY-----` (RSA, EC, DSA, OPENSSH, ENCRYPTED,
//     PGP PRIVATE KEY BLOCK, plain) with their body, also inside string literals (JSON `\n`
//     escapes, C/JS concatenated strings, YAML blocks, triple-quoted strings); the BEGIN and END
//     lines stay, the body becomes one placeholder. A body without END is redacted as far as its
//     lines look like key material. Markers without a body (a parser's constants) are left. Body
//     lines may carry a comment leader (`# `, ` * `, `-- `, `% `, `// `).
//   - tokens recognisable by their shape: AWS access key ids, Google API keys / OAuth secrets /
//     access tokens, Azure storage account keys, GitHub, GitLab, Slack (tokens and webhooks),
//     Stripe, OpenAI, Anthropic, Hugging Face, npm, PyPI, Twilio, SendGrid, age, JWTs, and
//     `Bearer` tokens;
//   - passwords in URLs (`scheme://user:password@host`: the user stays), also holding an unencoded
//     `#`, `/` or `?` when the user is a plain name, what follows ':' is not a port and a host
//     follows the '@';
//   - assignments of a literal to a name whose last word says it is secret (`password`, `passwd`,
//     `pwd`, `pass`, `passphrase`, `secret`, `token`, `api_key`, `secret_key`, `access_key`,
//     `private_key`, ...) in the common syntaxes: `=`, `:=`, `:`, `=>`, `#define`, JSON and YAML
//     keys, .env and shell lines, keyword arguments, typed declarations. The value must be a
//     literal that looks like a secret: no whitespace, long enough, varied enough (Shannon
//     entropy), not made of words, not a placeholder (`""`, `changeme`, `${VAR}`, `<your-key>`,
//     `xxx`, `****`, `{{ ... }}`, `%s`, ...) and not an expression (`request.form["password"]`,
//     `os.environ[...]`, `lexer.next()`); unquoted values must also hold a digit;
//   - the password literal of a user/password pair where a name says it is one: `auth=(u, "pw")`,
//     `'auth' => ['u', 'pw']`, `HTTPBasicAuth("u", "pw")`, `login("u", "pw")`,
//     `connect(host, ("u", "pw"))` (the same test of the value as a `password` assignment);
//   - passwords on command lines: `mysql -pPW` (and mysqldump, mariadb, ...), `sshpass -p PW`,
//     `redis-cli -a PW`, `curl -u user:PW` / `--user`; not other programs' flags, nor references
//     (`-p"$PW"`).
// Each secret becomes `<redacted:KIND>` (KIND as in Redaction::kind). Only the secret's bytes are
// replaced and no newline is ever removed or added, so every other line keeps its number and the
// code stays readable. A secret inside one detector's context (a command's arguments, a key
// block's lines) can hide another from it until it is replaced, so a text in which anything was
// found is redacted again until a pass finds nothing (at most 8 passes): redacting redacted text
// changes nothing.
//
// Cost: linear in the input with small constants (every scan is bounded per match), once more per
// pass that found something; a hostile single 1 MB line is fine. Ownership: plain values; the
// result never refers to the input. Thread-safety: pure function, reentrant. Errors: none; any
// bytes are accepted (invalid UTF-8 and NUL included) and text without secrets comes back
// byte-identical.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace g2d::redact {

// One secret that was replaced. Never holds the secret itself, so it may be logged.
struct Redaction {
  std::string kind;  // "aws-access-key", "private-key", "password", "url-password", ...
  size_t line = 0;   // 1-based line of the placeholder (the same in input and output)
};

struct Redacted {
  std::string text;              // the input with every secret replaced
  std::vector<Redaction> found;  // in text order

  // How many secrets of each kind were replaced.
  std::map<std::string, size_t> counts_by_kind() const;
  // How many secrets of `kind` were replaced.
  size_t count(std::string_view kind) const;
};

Redacted redact_secrets(std::string_view source);

}  // namespace g2d::redact
