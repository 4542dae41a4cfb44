#include "git/git_command.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>

#include "core/text.hpp"

namespace g2d::git::detail {

namespace {

using EnvChanges = std::vector<std::pair<std::string, std::optional<std::string>>>;

// Variables that would point git at another repository than the one we name.
constexpr std::array k_repository_variables{
    "GIT_DIR",         "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
    "GIT_COMMON_DIR",  "GIT_NAMESPACE", "GIT_PREFIX",     "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_SHALLOW_FILE"};

// Lower-case fragments of git, curl and ssh messages that mean "credentials needed or refused".
constexpr std::array k_auth_markers{"could not read username",
                                    "could not read password",
                                    "authentication failed",
                                    "terminal prompts disabled",
                                    "permission denied (publickey",
                                    "permission denied, please try again",
                                    "http basic: access denied",
                                    "invalid username or password",
                                    "the requested url returned error: 401",
                                    "the requested url returned error: 403"};

constexpr size_t k_max_reason = 400;

// ssh for calls whose ssh the user did not choose: never prompt, give up on a host that does not
// answer in 30 s or stops answering for a minute.
constexpr const char* k_ssh_command =
    "ssh -o BatchMode=yes -o ConnectTimeout=30 -o ServerAliveInterval=15 -o ServerAliveCountMax=4";

// `path` without empty or relative entries: those name the directory a program runs in (a
// repository, for git and the programs it starts, such as ssh).
std::string absolute_entries(std::string_view path) {
  std::string out;
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t end = path.find(':', pos);
    if (end == std::string_view::npos)
      end = path.size();
    std::string_view entry = path.substr(pos, end - pos);
    if (!entry.empty() && entry.front() == '/') {
      if (!out.empty())
        out += ':';
      out += entry;
    }
    pos = end + 1;
  }
  return out;
}

EnvChanges git_environment(const GitCall& call) {
  EnvChanges env{{"GIT_TERMINAL_PROMPT", "0"},
                 {"GIT_ASKPASS", std::nullopt},
                 {"SSH_ASKPASS", std::nullopt},
                 {"SSH_ASKPASS_REQUIRE", "never"},
                 {"GIT_LFS_SKIP_SMUDGE", "1"},  // no large-file downloads from a filter
                 {"LC_ALL", "C"},
                 {"LANGUAGE", std::nullopt}};
  if (const char* path = std::getenv("PATH"))
    env.emplace_back("PATH", absolute_entries(path));
  if (call.settings != nullptr && !call.settings->user_ssh_command)
    env.emplace_back("GIT_SSH_COMMAND", k_ssh_command);
  for (const char* name : k_repository_variables)
    env.emplace_back(name, std::nullopt);
  if (!call.cwd.empty())
    env.emplace_back("GIT_CEILING_DIRECTORIES", call.cwd.parent_path().string());
  return env;
}

// scheme://user:secret@host → scheme://***@host, for every URL in free text.
std::string redact_urls(std::string_view text) {
  std::string out;
  size_t pos = 0;
  for (;;) {
    size_t scheme_end = text.find("://", pos);
    if (scheme_end == std::string_view::npos)
      break;
    size_t start = scheme_end + 3;
    size_t end = text.find_first_of("/ \t\r\n'\"`", start);
    if (end == std::string_view::npos)
      end = text.size();
    size_t at = text.substr(0, end).rfind('@');
    out.append(text.substr(pos, start - pos));
    if (at != std::string_view::npos && at >= start) {
      out += "***";
      pos = at;
    } else {
      pos = start;
    }
  }
  out.append(text.substr(pos));
  return out;
}

// The password in `scheme://user:password@host/...`, if any.
std::string_view url_password(std::string_view url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos)
    return {};
  size_t start = scheme_end + 3;
  size_t at = url.substr(0, url.find('/', start)).rfind('@');
  if (at == std::string_view::npos || at < start)
    return {};
  std::string_view userinfo = url.substr(start, at - start);
  size_t colon = userinfo.find(':');
  return colon == std::string_view::npos ? std::string_view() : userinfo.substr(colon + 1);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

GitSettings read_git_settings() {
  GitSettings settings;
  if (std::getenv("GIT_SSH_COMMAND") != nullptr || std::getenv("GIT_SSH") != nullptr) {
    settings.user_ssh_command = true;
    return settings;
  }
  // GIT_DIR=/dev/null: the system, global and environment config, never a repository's.
  sys::ProcessOptions options;
  options.env = {{"GIT_DIR", "/dev/null"}, {"LC_ALL", "C"}};
  if (const char* path = std::getenv("PATH"))
    options.env.emplace_back("PATH", absolute_entries(path));
  auto run = sys::run_process({"git", "config", "--get", "core.sshCommand"}, options);
  settings.user_ssh_command = run && run->exit_code == 0 && !first_line(run->output).empty();
  return settings;
}

Result<sys::ProcessResult> run_git(const GitCall& call) {
  std::vector<std::string> argv{"git", "-c", "protocol.ext.allow=never"};
  if (!call.file_transport) {
    argv.insert(argv.end(), {"-c", "protocol.file.allow=never"});
  }
  // No askpass program (GUI prompts), no fsmonitor hook in repositories we only inspect, no
  // hooks at all (post-checkout and the like, from templates or a repository's config).
  argv.insert(argv.end(), {"-c", "core.askPass=", "-c", "core.fsmonitor=false", "-c",
                           "core.hooksPath=/dev/null"});
  // An http transfer slower than 1 kB/s for a minute is given up (curl has no timeout else).
  argv.insert(argv.end(), {"-c", "http.lowSpeedLimit=1000", "-c", "http.lowSpeedTime=60"});
  argv.insert(argv.end(), call.args.begin(), call.args.end());
  sys::ProcessOptions options;
  options.cwd = call.cwd;
  options.env = git_environment(call);
  options.stop = call.stop;
  options.idle_timeout = call.idle_timeout;
  options.max_output = call.max_output;
  options.stderr_to_null = call.stderr_to_null;
  return sys::run_process(argv, options);
}

std::string without_credentials(std::string_view url) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos)
    return std::string(url);  // scp-like or a local path
  size_t start = scheme_end + 3;
  size_t at = url.substr(0, url.find('/', start)).rfind('@');
  if (at == std::string_view::npos || at < start)
    return std::string(url);
  std::string scheme = to_lower(url.substr(0, scheme_end));
  std::string_view userinfo = url.substr(start, at - start);
  std::string out(url.substr(0, start));
  std::string_view user = userinfo.substr(0, userinfo.find(':'));
  if (scheme != "http" && scheme != "https" && !user.empty())
    out += std::string(user) + "@";
  out += url.substr(at + 1);
  return out;
}

std::string redact(std::string_view text, const RepoRef& repo) {
  std::string out(text);
  if (repo.source != repo.display)
    replace_all(out, repo.source, repo.display);
  out = redact_urls(out);
  // A password git printed in another form of the URL; very short ones would mask ordinary text.
  std::string_view password = url_password(repo.source);
  if (password.size() >= 4)
    replace_all(out, password, "***");
  return out;
}

std::string failure_reason(std::string_view what, std::string_view output, const RepoRef& repo) {
  std::string text = redact(output, repo);
  std::vector<std::string_view> lines;
  std::vector<std::string_view> errors;
  size_t pos = 0;
  std::string_view view = text;
  while (pos < view.size()) {
    size_t end = view.find_first_of("\r\n", pos);
    if (end == std::string_view::npos)
      end = view.size();
    std::string_view line = trim(view.substr(pos, end - pos));
    pos = end + 1;
    if (line.empty() || line.starts_with("hint:"))
      continue;
    lines.push_back(line);
    for (std::string_view prefix : {"fatal:", "error:"}) {
      if (line.starts_with(prefix))
        errors.push_back(trim(line.substr(prefix.size())));
    }
  }
  const auto& chosen = errors.empty() ? lines : errors;
  std::string detail;
  for (size_t i = chosen.size() > 2 ? chosen.size() - 2 : 0; i < chosen.size(); ++i) {
    if (!detail.empty())
      detail += "; ";
    detail += chosen[i];
  }
  if (detail.empty())
    detail = "no message";
  if (detail.size() > k_max_reason)
    detail = detail.substr(0, k_max_reason) + "...";

  std::string lower = to_lower(text);
  bool auth = std::any_of(k_auth_markers.begin(), k_auth_markers.end(), [&](const char* marker) {
    return lower.find(marker) != std::string::npos;
  });
  if (auth) {
    return fmt::format(
        "the repository needs credentials that git could not get without prompting: configure a "
        "credential helper (https) or an SSH key or agent (ssh) (git {}: {})",
        what, detail);
  }
  return fmt::format("git {} failed: {}", what, detail);
}

std::string first_line(std::string_view output) {
  return std::string(trim(output.substr(0, output.find_first_of("\r\n"))));
}

}  // namespace g2d::git::detail
