#include "sys/process.hpp"

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stop_token>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#endif
#include <utility>

#include "sys/fd.hpp"

extern char** environ;

namespace g2d::sys {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Without a pidfd (not Linux), the child's exit is looked for at least this often while a
// descendant may hold the pipe open; a stop request wakes the wait at once regardless.
constexpr milliseconds k_exit_check{100};
constexpr milliseconds k_drain_limit{100};  // reading what is left after the child exited
constexpr milliseconds k_term_grace{2000};  // SIGTERM → SIGKILL
constexpr const char* k_default_path = "/bin:/usr/bin";  // what execvp uses without PATH

// `status` is what init returned: 0, or an errno value (then nothing is to be destroyed).
struct FileActions {
  posix_spawn_file_actions_t actions{};
  int status = posix_spawn_file_actions_init(&actions);
  FileActions() = default;
  ~FileActions() {
    if (status == 0)
      posix_spawn_file_actions_destroy(&actions);
  }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
};

struct SpawnAttr {
  posix_spawnattr_t attr{};
  int status = posix_spawnattr_init(&attr);
  SpawnAttr() = default;
  ~SpawnAttr() {
    if (status == 0)
      posix_spawnattr_destroy(&attr);
  }
  SpawnAttr(const SpawnAttr&) = delete;
  SpawnAttr& operator=(const SpawnAttr&) = delete;
};

std::string describe_duration(milliseconds d) {
  if (d.count() % 1000 == 0)
    return fmt::format("{} s", d.count() / 1000);
  return fmt::format("{} ms", d.count());
}

// The child's environment: the parent's, with `overrides` applied in order.
std::vector<std::string> child_environment(const ProcessOptions& options) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e)
    env.emplace_back(*e);
  for (const auto& [name, value] : options.env) {
    std::string prefix = name + "=";
    env.erase(std::remove_if(env.begin(), env.end(),
                             [&](const std::string& entry) { return entry.starts_with(prefix); }),
              env.end());
    if (value)
      env.push_back(prefix + *value);
  }
  return env;
}

// The value of PATH in an environment (`environ`'s layout), or execvp's default without one.
std::string path_of(const char* const* env) {
  for (const char* const* e = env; e != nullptr && *e != nullptr; ++e) {
    if (std::strncmp(*e, "PATH=", 5) == 0)
      return *e + 5;
  }
  return k_default_path;
}

// execvp's search for `program` over `path`, done here rather than by posix_spawnp for two
// reasons: posix_spawnp searches after the child's chdir, so an empty or relative entry ("." is
// the usual one) would run a file of the directory the child works in (a repository's own `git`);
// and the search must use the child's PATH, not the parent's. Only absolute entries are searched.
// Empty when nothing executable is found.
std::string find_on_path(const std::string& program, std::string_view path) {
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t end = path.find(':', pos);
    if (end == std::string_view::npos)
      end = path.size();
    std::string_view dir = path.substr(pos, end - pos);
    pos = end + 1;
    if (dir.empty() || dir.front() != '/')
      continue;
    std::string candidate = std::string(dir) + "/" + program;
    struct stat st {};
    if (stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return {};
}

struct Spawned {
  pid_t pid = 0;
  int out_fd = -1;
};

Result<Spawned> spawn(const std::vector<std::string>& argv, const ProcessOptions* options) {
  if (argv.empty())
    return fail(ErrorKind::invalid_argument, "run_process: empty argument list");
  const std::string& program = argv[0];
  const std::filesystem::path cwd = options != nullptr ? options->cwd : std::filesystem::path();
  std::vector<std::string> env_storage;
  std::vector<char*> envp;
  if (options != nullptr) {
    env_storage = child_environment(*options);
    envp.reserve(env_storage.size() + 1);
    for (auto& entry : env_storage)
      envp.push_back(entry.data());
    envp.push_back(nullptr);
  }
  char** child_env = options != nullptr ? envp.data() : environ;

  // A name without '/' is looked up here, on the child's PATH; a path is used as given (a
  // relative one from the child's working directory).
  std::string resolved = program;
  if (program.find('/') == std::string::npos) {
    resolved = find_on_path(program, path_of(child_env));
    if (resolved.empty())
      return fail(ErrorKind::not_found, "{}: not found on PATH", program);
  }

  std::array<int, 2> fds{};
  if (pipe2(fds.data(), O_CLOEXEC) != 0)
    return fail(ErrorKind::io, "pipe: {}", std::strerror(errno));
  Fd read_end(fds[0]);
  Fd write_end(fds[1]);

  FileActions fa;
  int rc = fa.status;
  if (rc == 0)
    rc = posix_spawn_file_actions_addopen(&fa.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  if (rc == 0)
    rc = posix_spawn_file_actions_adddup2(&fa.actions, write_end.get(), STDOUT_FILENO);
  if (rc == 0 && options != nullptr && options->stderr_to_null)
    rc = posix_spawn_file_actions_addopen(&fa.actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  else if (rc == 0)
    rc = posix_spawn_file_actions_adddup2(&fa.actions, write_end.get(), STDERR_FILENO);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  // Descriptors the parent opened without O_CLOEXEC (a library's, say) do not reach the child.
  if (rc == 0)
    rc = posix_spawn_file_actions_addclosefrom_np(&fa.actions, STDERR_FILENO + 1);
#endif
  if (rc == 0 && !cwd.empty())
    rc = posix_spawn_file_actions_addchdir_np(&fa.actions, cwd.c_str());

  SpawnAttr sa;
  short flags = 0;
  if (options != nullptr)
    flags |= POSIX_SPAWN_SETSID;
#ifdef __APPLE__
  flags |= POSIX_SPAWN_CLOEXEC_DEFAULT;  // only the descriptors the file actions set up survive
#endif
  if (rc == 0)
    rc = sa.status;
  if (rc == 0)
    rc = reset_child_signals(sa.attr, flags);
  if (rc != 0)
    return fail(ErrorKind::io, "cannot start {}: preparing the child: {}", program,
                std::strerror(rc));

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  Spawned spawned;
  rc = posix_spawn(&spawned.pid, resolved.c_str(), &fa.actions, &sa.attr, args.data(), child_env);
  write_end.reset();
  if (rc != 0) {
    // The child's chdir fails the spawn with the same errors as a missing program: say which.
    std::error_code ec;
    if (!cwd.empty() && !std::filesystem::is_directory(cwd, ec)) {
      return fail(ErrorKind::io, "cannot start {}: {} is not a directory ({})", program,
                  cwd.string(), std::strerror(rc));
    }
    if (rc == ENOENT && program.find('/') != std::string::npos)
      return fail(ErrorKind::not_found, "{}: no such program", program);
    return fail(ErrorKind::io, "cannot start {} ({}){}: {}", program, resolved,
                cwd.empty() ? std::string() : " in " + cwd.string(), std::strerror(rc));
  }
  spawned.out_fd = read_end.release();  // the caller owns it now
  return spawned;
}

int exit_code_of(int status) {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return 0;
}

// Whether `pid` has exited, without reaping it: while the zombie remains, its process-group id
// cannot be reused, so signalling -pid stays safe.
bool has_exited(pid_t pid) {
  siginfo_t info{};
  int rc = 0;
  do {
    rc = waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT);
  } while (rc < 0 && errno == EINTR);
  return rc < 0 || info.si_pid == pid;
}

// A descriptor that becomes readable when `pid` exits (Linux 5.3 and later), or an invalid one:
// then the child's exit is looked for every k_exit_check instead.
Fd open_pidfd(pid_t pid) {
#if defined(__linux__) && defined(SYS_pidfd_open)
  return Fd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
#else
  (void)pid;
  return Fd();
#endif
}

// Waits until `pid` has exited (without reaping it) or `deadline` passed: on its pidfd when
// valid, else looking every 10 ms. True when it exited.
bool wait_for_exit(pid_t pid, const Fd& pidfd, Clock::time_point deadline) {
  while (!has_exited(pid)) {
    const auto left = std::chrono::ceil<milliseconds>(deadline - Clock::now());
    if (left.count() <= 0)
      return false;
    if (pidfd.valid()) {
      pollfd pfd{pidfd.get(), POLLIN, 0};
      (void)poll(&pfd, 1, static_cast<int>(left.count()));
    } else {
      std::this_thread::sleep_for(std::min(left, milliseconds(10)));
    }
  }
  return true;
}

// The child's exit code. Never a made-up 0: when waitpid fails (ECHILD when SIGCHLD is ignored
// and the kernel reaped the child itself) the status is unknown, and that is an error.
Result<int> reap(pid_t pid, const std::string& program) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      int err = errno;
      return fail(ErrorKind::io, "cannot get the exit status of {}: waitpid: {}{}", program,
                  std::strerror(err),
                  err == ECHILD ? " (SIGCHLD is ignored, so the system discarded it)" : "");
    }
  }
  return exit_code_of(status);
}

// SIGTERM to the child's process group, SIGKILL after the grace period (to the whole group,
// for members that ignore SIGTERM), then reap.
void stop_group(pid_t pid, const Fd& pidfd) {
  kill(-pid, SIGTERM);
  (void)wait_for_exit(pid, pidfd, Clock::now() + k_term_grace);
  kill(-pid, SIGKILL);
  (void)reap(pid, {});
}

// Reads what is in the pipe now, without waiting for more, and for at most k_drain_limit (a
// descendant may keep writing). False at end of file or on error.
bool drain(int fd, std::string& output, size_t max_output, int& read_errno) {
  std::array<char, 4096> buf{};
  const auto deadline = Clock::now() + k_drain_limit;
  while (Clock::now() < deadline) {
    pollfd pfd{fd, POLLIN, 0};
    int ready = poll(&pfd, 1, 0);
    if (ready < 0 && errno == EINTR)
      continue;
    if (ready <= 0)
      return ready == 0;
    ssize_t n = read(fd, buf.data(), buf.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      read_errno = errno;
    if (n <= 0)
      return false;
    size_t room = max_output - std::min(max_output, output.size());
    output.append(buf.data(), std::min(room, static_cast<size_t>(n)));
  }
  return true;
}

// Writes a byte to a pipe when a stop is requested: the wait in run_process polls the pipe's read
// end beside the child's output and exit, so a stop wakes it at once (write() is safe from any
// thread, the callback runs on the one that requests the stop).
struct WakeOnStop {
  int fd;
  void operator()() const noexcept {
    const char byte = 1;
    (void)!write(fd, &byte, 1);
  }
};

}  // namespace

Result<ProcessResult> run_process(const std::vector<std::string>& argv,
                                  const ProcessOptions& options) {
  if (options.stop.stop_requested() && !argv.empty())
    return fail(ErrorKind::cancelled, "{}: cancelled", argv[0]);
  std::array<int, 2> wake_fds{};
  if (pipe2(wake_fds.data(), O_CLOEXEC | O_NONBLOCK) != 0)
    return fail(ErrorKind::io, "pipe: {}", std::strerror(errno));
  Fd wake_read(wake_fds[0]);
  Fd wake_write(wake_fds[1]);
  auto spawned = spawn(argv, &options);
  if (!spawned)
    return tl::unexpected(spawned.error());
  const pid_t pid = spawned->pid;
  Fd out(spawned->out_fd);
  const Fd pidfd = open_pidfd(pid);
  const std::string& program = argv[0];
  // Declared after the pipe it writes to, so it is gone (and not running) before the pipe closes.
  std::stop_callback<WakeOnStop> on_stop(options.stop, WakeOnStop{wake_write.get()});

  const auto start = Clock::now();
  auto last_output = start;
  ProcessResult result;
  int read_errno = 0;
  std::array<char, 4096> buf{};
  // After end of file the child normally exits at once; without a pidfd it is looked for after
  // 1 ms, then ever less often, up to k_exit_check.
  auto exit_check = milliseconds(1);
  for (;;) {
    const auto now = Clock::now();
    if (options.stop.stop_requested()) {
      stop_group(pid, pidfd);
      return fail(ErrorKind::cancelled, "{}: cancelled", program);
    }
    if (options.timeout.count() > 0 && now - start >= options.timeout) {
      stop_group(pid, pidfd);
      return fail(ErrorKind::timeout, "{}: timed out after {} (total timeout)", program,
                  describe_duration(options.timeout));
    }
    // The idle timeout watches the output: it ends with it.
    if (out.valid() && options.idle_timeout.count() > 0 &&
        now - last_output >= options.idle_timeout) {
      stop_group(pid, pidfd);
      return fail(ErrorKind::timeout, "{}: no output for {} (idle timeout)", program,
                  describe_duration(options.idle_timeout));
    }
    // -1: no limit; the wait ends on output, end of file, the child's exit (pidfd) or a stop.
    auto wait = milliseconds(-1);
    auto at_most = [&wait](milliseconds limit) {
      limit = std::max(limit, milliseconds(0));
      wait = wait.count() < 0 ? limit : std::min(wait, limit);
    };
    if (options.timeout.count() > 0)
      at_most(std::chrono::ceil<milliseconds>(start + options.timeout - now));
    if (out.valid() && options.idle_timeout.count() > 0)
      at_most(std::chrono::ceil<milliseconds>(last_output + options.idle_timeout - now));
    if (!pidfd.valid())
      at_most(out.valid() ? k_exit_check : exit_check);
    std::array<pollfd, 3> fds{};
    nfds_t count = 0;
    fds[count++] = {wake_read.get(), POLLIN, 0};
    const nfds_t out_index = count;
    if (out.valid())
      fds[count++] = {out.get(), POLLIN, 0};
    if (pidfd.valid())
      fds[count++] = {pidfd.get(), POLLIN, 0};
    int ready = poll(fds.data(), count, static_cast<int>(wait.count()));
    if (ready < 0 && errno != EINTR) {
      read_errno = errno;
      break;
    }
    if (ready > 0 && out.valid() && fds[out_index].revents != 0) {
      ssize_t n = read(out.get(), buf.data(), buf.size());
      if (n < 0 && errno != EINTR && errno != EAGAIN) {
        read_errno = errno;
        break;
      }
      if (n == 0)
        out.reset();  // every writer closed the pipe
      if (n > 0) {
        last_output = Clock::now();
        size_t room = options.max_output - std::min(options.max_output, result.output.size());
        result.output.append(buf.data(), std::min(room, static_cast<size_t>(n)));
      }
    }
    if (has_exited(pid)) {
      // Something the child started may still hold the pipe: keep what the child wrote and stop
      // waiting (background descendants are not ours to wait for).
      if (out.valid())
        drain(out.get(), result.output, options.max_output, read_errno);
      break;
    }
    if (!out.valid())
      exit_check = std::min(exit_check * 2, k_exit_check);
  }
  out.reset();
  if (read_errno != 0) {
    stop_group(pid, pidfd);
    return fail(ErrorKind::io, "reading the output of {}: {}", program, std::strerror(read_errno));
  }
  auto code = reap(pid, program);
  if (!code)
    return tl::unexpected(code.error());
  result.exit_code = *code;
  return result;
}

Result<ProcessResult> run_process(const std::vector<std::string>& argv, size_t max_output) {
  auto spawned = spawn(argv, nullptr);
  if (!spawned)
    return tl::unexpected(spawned.error());
  Fd out(spawned->out_fd);
  ProcessResult result;
  int read_errno = 0;
  std::array<char, 4096> buf{};
  for (;;) {
    ssize_t n = read(out.get(), buf.data(), buf.size());
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      read_errno = errno;
    if (n <= 0)
      break;
    size_t room = max_output - std::min(max_output, result.output.size());
    result.output.append(buf.data(), std::min(room, static_cast<size_t>(n)));
  }
  out.reset();
  auto code = reap(spawned->pid, argv[0]);
  if (read_errno != 0) {
    return fail(ErrorKind::io, "reading the output of {}: {}", argv[0], std::strerror(read_errno));
  }
  if (!code)
    return tl::unexpected(code.error());
  result.exit_code = *code;
  return result;
}

int reset_child_signals(posix_spawnattr_t& attr, short flags) {
  sigset_t none;
  sigemptyset(&none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGCHLD})
    sigaddset(&defaults, sig);
  int rc = posix_spawnattr_setsigmask(&attr, &none);
  if (rc == 0)
    rc = posix_spawnattr_setsigdefault(&attr, &defaults);
  if (rc == 0)
    rc = posix_spawnattr_setflags(
        &attr, static_cast<short>(flags | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF));
  return rc;
}

}  // namespace g2d::sys
