#include "sys/process.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace g2d::sys {

namespace {

struct FileActions {
  posix_spawn_file_actions_t actions{};
  FileActions() { posix_spawn_file_actions_init(&actions); }
  ~FileActions() { posix_spawn_file_actions_destroy(&actions); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
};

struct SpawnAttr {
  posix_spawnattr_t attr{};
  SpawnAttr() { posix_spawnattr_init(&attr); }
  ~SpawnAttr() { posix_spawnattr_destroy(&attr); }
  SpawnAttr(const SpawnAttr&) = delete;
  SpawnAttr& operator=(const SpawnAttr&) = delete;
};

}  // namespace

Result<ProcessResult> run_process(const std::vector<std::string>& argv, size_t max_output) {
  if (argv.empty())
    return fail(ErrorKind::invalid_argument, "run_process: empty argument list");
  std::array<int, 2> fds{};
  if (pipe2(fds.data(), O_CLOEXEC) != 0) {
    return fail(ErrorKind::io, "pipe: {}", std::strerror(errno));
  }
  FileActions fa;
  posix_spawn_file_actions_addopen(&fa.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa.actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&fa.actions, fds[1], STDERR_FILENO);

  SpawnAttr sa;
  sigset_t empty_mask;
  sigemptyset(&empty_mask);
  sigset_t default_signals;
  sigemptyset(&default_signals);
  sigaddset(&default_signals, SIGINT);
  sigaddset(&default_signals, SIGTERM);
  sigaddset(&default_signals, SIGPIPE);
  sigaddset(&default_signals, SIGCHLD);
  posix_spawnattr_setsigmask(&sa.attr, &empty_mask);
  posix_spawnattr_setsigdefault(&sa.attr, &default_signals);
  posix_spawnattr_setflags(&sa.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  pid_t pid = 0;
  int rc = posix_spawnp(&pid, args[0], &fa.actions, &sa.attr, args.data(), environ);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    if (rc == ENOENT)
      return fail(ErrorKind::not_found, "{}: not found on PATH", argv[0]);
    return fail(ErrorKind::io, "cannot start {}: {}", argv[0], std::strerror(rc));
  }

  ProcessResult result;
  int read_errno = 0;
  std::array<char, 4096> buf{};
  for (;;) {
    ssize_t n = read(fds[0], buf.data(), buf.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      read_errno = errno;
    if (n <= 0)
      break;
    size_t room = max_output - std::min(max_output, result.output.size());
    result.output.append(buf.data(), std::min(room, static_cast<size_t>(n)));
  }
  close(fds[0]);

  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR)
      return fail(ErrorKind::io, "waitpid {}: {}", argv[0], std::strerror(errno));
  }
  if (read_errno != 0) {
    return fail(ErrorKind::io, "reading the output of {}: {}", argv[0], std::strerror(read_errno));
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.exit_code = 128 + WTERMSIG(status);
  }
  return result;
}

Result<ProcessResult> run_process(const std::vector<std::string>& argv,
                                  const ProcessOptions& options) {
  return run_process(argv, options.max_output);  // placeholder while issue 3 extends this
}

}  // namespace g2d::sys
