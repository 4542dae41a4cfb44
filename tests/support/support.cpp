#include "support.hpp"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <future>
#include <random>
#include <spawn.h>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include "sys/paths.hpp"
#include "sys/process.hpp"

extern char** environ;

namespace {

// spdlog's registry is a function-local static inside the (uninstrumented) shared library, so
// ThreadSanitizer cannot see the guard of its first use; two test threads logging first would be
// reported as a race. Create it before any test starts threads, as the program does in main.
[[maybe_unused]] const bool g_logging_ready = (spdlog::default_logger_raw(), true);

}  // namespace

namespace g2d::test {

namespace fs = std::filesystem;

TempDir::TempDir() {
  std::string pattern = (fs::temp_directory_path() / "g2d-test-XXXXXX").string();
  if (mkdtemp(pattern.data()) == nullptr)
    throw std::runtime_error("mkdtemp failed");
  m_path = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(m_path, ec);
}

void write_file(const fs::path& path, std::string_view content) {
  if (path.has_parent_path())
    fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(content.data(), static_cast<std::streamsize>(content.size()));
  if (!out)
    throw std::runtime_error("cannot write " + path.string());
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error("cannot read " + path.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path tiny_model_path() {
  if (const char* p = std::getenv("G2D_TEST_MODEL"); p != nullptr && *p != '\0')
    return p;
  fs::path model = sys::default_model_path();
  return fs::exists(model) ? model : fs::path();
}

fs::path git2dataset_exe() {
  return G2D_EXE;
}

ScopedEnv::ScopedEnv(const char* name, const std::optional<std::string>& value) : m_name(name) {
  if (const char* old = std::getenv(name))
    m_old = old;
  if (value)
    setenv(name, value->c_str(), 1);
  else
    unsetenv(name);
}

ScopedEnv::~ScopedEnv() {
  if (m_old)
    setenv(m_name, m_old->c_str(), 1);
  else
    unsetenv(m_name);
}

pid_t spawn_logged(std::vector<std::string> argv, const fs::path& log, bool append) {
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(a.data());
  args.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(),
                                   O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  // As sys::run_process does: no signal the test blocks or ignores stays so in the child.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sys::reset_child_signals(attr);
  pid_t pid = -1;
  int rc = posix_spawnp(&pid, args[0], &actions, &attr, args.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

fs::path datasets_python() {
  fs::path venv;
  if (const char* env = std::getenv("G2D_DATASETS_VENV"); env != nullptr && *env != '\0')
    venv = env;
#ifdef G2D_DATASETS_VENV_DEFAULT
  else
    venv = G2D_DATASETS_VENV_DEFAULT;
#endif
  fs::path python = venv / "bin" / "python";
  if (venv.empty() || !fs::exists(python) || !fs::exists(venv / ".stamp"))
    return {};
  return python;
}

sys::ProcessResult run_git2dataset(std::vector<std::string> args) {
  return run_git2dataset(std::move(args), {});
}

sys::ProcessResult run_git2dataset(
    std::vector<std::string> args,
    const std::vector<std::pair<std::string, std::optional<std::string>>>& env,
    const std::filesystem::path& cwd) {
  args.insert(args.begin(), git2dataset_exe().string());
  sys::ProcessOptions options;
  options.env = env;
  options.cwd = cwd;
  auto result = sys::run_process(args, options);
  if (!result)
    throw std::runtime_error(result.error().describe());
  return *result;
}

bool finishes_without_fifo_release(const std::function<void()>& work, const fs::path& fifo,
                                   std::chrono::seconds deadline) {
  std::promise<void> done;
  std::future<void> finished = done.get_future();
  std::thread worker([&] {
    try {
      work();
      done.set_value();
    } catch (...) {
      done.set_exception(std::current_exception());
    }
  });
  bool in_time = finished.wait_for(deadline) == std::future_status::ready;
  // Only when `work` is stuck (a regression): a writer opening the fifo releases a blocked reader.
  while (finished.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
    int fd = open(fifo.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0)
      close(fd);
  }
  worker.join();
  finished.get();  // rethrows what `work` threw
  return in_time;
}

FifoReader::FifoReader(const fs::path& fifo)
    // The read end is opened here, while m_keep_open (a writer of our own) keeps the open from
    // waiting: opened in the thread, it could come after finish() closed the last writer and then
    // wait forever for one.
    : m_keep_open(::open(fifo.c_str(), O_RDWR | O_CLOEXEC)),
      m_read(m_keep_open >= 0 ? ::open(fifo.c_str(), O_RDONLY | O_CLOEXEC) : -1),
      m_thread([this] {
        if (m_read < 0)
          return;
        char buffer[4096];
        for (;;) {
          ssize_t n = ::read(m_read, buffer, sizeof buffer);
          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            break;
          m_data.append(buffer, static_cast<size_t>(n));
        }
        ::close(m_read);
      }) {}

FifoReader::~FifoReader() {
  finish();
}

const std::string& FifoReader::finish() {
  if (m_keep_open >= 0)
    ::close(m_keep_open);
  m_keep_open = -1;
  if (m_thread.joinable())
    m_thread.join();
  return m_data;
}

std::string commit_all(const std::filesystem::path& repo) {
  for (std::vector<std::string> args :
       {std::vector<std::string>{"init", "-q"},
        {"add", "-A"},
        {"-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-qm", "init"}}) {
    std::string step = args.back() == "init" ? "commit" : args.front();
    args.insert(args.begin(), {"git", "-C", repo.string()});
    auto r = sys::run_process(args);
    if (!r)
      return r.error().message;
    if (r->exit_code != 0)
      return "git " + step + ": " + r->output;
  }
  return "";
}

}  // namespace g2d::test
