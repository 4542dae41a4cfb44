// `git2dataset tui` end to end in tmux, against the real binary: a prepare run on a fixture
// repository through the openai backend and a fake OpenAI-compatible server whose replies the test
// holds and releases (so the run is exactly as slow as each step needs); the dashboard in a tmux
// pane (a private server socket, killed at the end). The panels show the numbers `status --json`
// shows; `p` pauses the run (status says so, and no file finishes while paused) and `p` again
// resumes it; the finished run's summary stays up; a resize redraws at the new size (and below
// 80×24 says it is too small); `q` and Ctrl-C give the terminal back (the alternate screen left,
// what was printed before shown again, echo and line editing on). Also: no terminal, no database.
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <functional>
#include <iostream>
#include <mutex>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http_test_server.hpp"
#include "support.hpp"
#include "sys/process.hpp"

namespace g2d {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;

constexpr int k_files = 10;

// Polls `ready` every 100 ms until it holds or `seconds` pass; returns whether it held.
bool eventually(const std::function<bool()>& ready, int seconds = 30) {
  auto deadline = Clock::now() + std::chrono::seconds(seconds);
  while (Clock::now() < deadline) {
    if (ready())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return ready();
}

// A fake OpenAI-compatible server (tests/support/http_test_server): a questions call (it carries a
// JSON schema) gets two questions, an answer call an answer, both streamed; while held, calls wait.
class FakeOpenAiServer {
 public:
  FakeOpenAiServer() : m_server([this](const test::ReceivedRequest& r) { return reply(r); }) {}
  ~FakeOpenAiServer() { release(); }
  FakeOpenAiServer(const FakeOpenAiServer&) = delete;
  FakeOpenAiServer& operator=(const FakeOpenAiServer&) = delete;

  std::string url() const { return m_server.url(); }
  void hold() {
    std::lock_guard lock(m_mutex);
    m_held = true;
  }
  void release() {
    {
      std::lock_guard lock(m_mutex);
      m_held = false;
    }
    m_wake.notify_all();
  }
  int waiting() const {
    std::lock_guard lock(m_mutex);
    return m_waiting;
  }
  int completions() const {
    std::lock_guard lock(m_mutex);
    return m_completions;
  }

 private:
  test::Reply reply(const test::ReceivedRequest& r) {
    if (r.target == "/v1/models")
      return test::json_reply(200, R"({"object":"list","data":[{"id":"fake-model"}]})");
    if (r.target != "/v1/chat/completions")
      return test::json_reply(404, R"({"error":"not found"})");
    {
      std::unique_lock lock(m_mutex);
      ++m_waiting;
      m_wake.wait(lock, [this] { return !m_held; });
      --m_waiting;
      ++m_completions;
    }
    auto body = json::parse(r.body, nullptr, false);
    bool questions = body.is_object() && body.contains("response_format");
    std::string content =
        questions
            ? json{{"questions", {"What does the function return?", "Why is x doubled?"}}}.dump()
            : std::string("It returns x doubled, because the loop adds x to itself.");
    json delta = {{"choices",
                   {{{"index", 0}, {"delta", {{"content", content}}}, {"finish_reason", "stop"}}}}};
    json usage = {{"choices", json::array()},
                  {"usage", {{"prompt_tokens", 40}, {"completion_tokens", 12}}}};
    test::Reply reply;
    reply.chunked = true;
    reply.headers = {{"Content-Type", "text/event-stream"}};
    reply.chunks = {"data: " + delta.dump() + "\n\n",
                    "data: " + usage.dump() + "\n\ndata: [DONE]\n\n"};
    return reply;
  }

  mutable std::mutex m_mutex;
  std::condition_variable m_wake;
  bool m_held = false;
  int m_waiting = 0;
  int m_completions = 0;
  test::TestHttpServer m_server;  // last: stops (and joins its threads) first
};

// A tmux server of its own (-L: a private socket), killed on destruction.
class Tmux {
 public:
  Tmux() : m_socket(fmt::format("g2d-tui-test-{}-{}", getpid(), s_count++)) {}
  ~Tmux() { run({"kill-server"}); }
  Tmux(const Tmux&) = delete;
  Tmux& operator=(const Tmux&) = delete;

  static bool installed() {
    auto r = sys::run_process({"tmux", "-V"});
    return r && r->exit_code == 0;
  }

  sys::ProcessResult run(std::vector<std::string> args) const {
    args.insert(args.begin(), {"tmux", "-u", "-L", m_socket});
    sys::ProcessOptions options;
    options.env = {{"LANG", "C.UTF-8"}, {"LC_ALL", "C.UTF-8"}, {"TMUX", std::nullopt}};
    options.timeout = std::chrono::seconds(10);
    auto r = sys::run_process(args, options);
    if (!r)
      return {-1, r.error().message};
    return *r;
  }
  // A session of `cols`×`rows` running `script` with sh.
  bool start(const std::string& script, int cols = 80, int rows = 24) const {
    auto r =
        run({"new-session", "-d", "-s", "t", "-x", std::to_string(cols), "-y", std::to_string(rows),
             "-e", "LANG=C.UTF-8", "-e", "TERM=tmux-256color", "sh", "-c", script});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    return r.exit_code == 0;
  }
  // The pane's text; `join`: lines the terminal wrapped joined again (for plain output).
  std::string capture(bool join = false) const {
    if (join)
      return run({"capture-pane", "-p", "-J", "-t", "t"}).output;
    return run({"capture-pane", "-p", "-t", "t"}).output;
  }
  void keys(const std::string& keys) const { run({"send-keys", "-t", "t", keys}); }
  void resize(int cols, int rows) const {
    run({"resize-window", "-t", "t", "-x", std::to_string(cols), "-y", std::to_string(rows)});
  }
  bool alternate_screen() const {
    return run({"display-message", "-p", "-t", "t", "#{alternate_on}"}).output.starts_with("1");
  }

 private:
  static inline int s_count = 0;
  std::string m_socket;
};

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s)
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Cells of a line without wide characters: its code points.
size_t columns(const std::string& line) {
  size_t n = 0;
  for (char c : line)
    n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

// The first line of `text` containing `needle`, or "".
std::string line_with(const std::string& text, const std::string& needle) {
  size_t at = text.find(needle);
  if (at == std::string::npos)
    return "";
  size_t begin = text.rfind('\n', at);
  begin = begin == std::string::npos ? 0 : begin + 1;
  return text.substr(begin, text.find('\n', at) - begin);
}

class TuiTmux : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Tmux::installed())
      GTEST_SKIP() << "tmux not installed";
    repo = ws / "repos/github.com/o/r";
    fs::create_directories(repo);
    git({"init", "-q"});
    for (int i = 0; i < k_files; ++i)
      test::write_file(repo / fmt::format("f{}.c", i),
                       fmt::format("int f{0}(int x) {{\n  return x + x + {0};\n}}\n", i));
    test::write_file(repo / "README.md", "# r\n");
    git({"add", "-A"});
    git({"-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-qm", "init"});
    test::write_file(config, "llm:\n  backend: openai\n  base_url: " + server.url() +
                                 "\n  model: fake-model\n  context_window: 4096\n"
                                 "  questions_per_file: 2\n  max_retries: 1\n"
                                 "generation:\n  mode: two_step\n"
                                 "pipeline:\n  repos_dir: repos\n  database: g2d.db\n"
                                 "  max_concurrent_files: 2\n"
                                 "resources:\n  enable_battery_monitoring: false\n");
  }

  void TearDown() override {
    server.release();
    if (prepare_pid > 0) {
      kill(prepare_pid, SIGKILL);
      int status = 0;
      waitpid(prepare_pid, &status, 0);
    }
  }

  void git(std::vector<std::string> args) {
    args.insert(args.begin(), {"git", "-C", repo.string()});
    auto r = sys::run_process(args);
    ASSERT_TRUE(r && r->exit_code == 0) << (r ? r->output : r.error().message);
  }

  json status() {
    auto r = test::run_git2dataset({"status", "--json", "--config", config.string()});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    auto j = json::parse(r.output, nullptr, false);
    return j.is_discarded() ? json::object() : j;
  }

  // What the pane runs: a marker, the dashboard, its exit code and the terminal's modes after it
  // (twice: the second is ended by Ctrl-C), then it stays. Between the two it waits for a line
  // (Enter): the second dashboard would otherwise take the screen again within milliseconds, before
  // the test can see what the first one gave back.
  std::string pane_script() const {
    std::string tui = shell_quote(test::git2dataset_exe().string()) + " tui --config " +
                      shell_quote(config.string());
    std::string modes =
        "stty -a | tr ' ;' '\\n\\n' | grep -x -e echo -e -echo -e icanon -e -icanon";
    // The shell survives the Ctrl-C (a trap of its own; the dashboard gets the default).
    return "echo BEFORE-TUI-MARKER; " + tui + "; echo TUI-EXIT=$?; " + modes +
           " | sed s/^/MODE=/; read -r _; trap : INT; " + tui + "; echo TUI2-EXIT=$?; " + modes +
           " | sed s/^/MODE2=/; exec sleep 600";
  }

  test::TempDir tmp;
  fs::path ws = tmp.path();
  fs::path repo;
  fs::path config = ws / "git2dataset.yaml";
  FakeOpenAiServer server;
  pid_t prepare_pid = -1;
};

// The panels' numbers are the ones `status --json` has for the same moment: the run's counts and
// the database's. Waits (the dashboard refreshes twice a second) until the pane shows them.
void expect_agrees_with_status(const Tmux& tmux, const std::function<json()>& status) {
  std::string screen;
  json j;
  bool agree = eventually(
      [&] {
        j = status();
        screen = tmux.capture();
        const auto& run = j["last_run"];
        return line_with(screen, "Run     ")
                       .find(fmt::format("{} of {} done  {} failed", run["done"].get<int>(),
                                         run["planned"].get<int>(), run["failed"].get<int>())) !=
                   std::string::npos &&
               line_with(screen, "Files   ")
                       .find(fmt::format(
                           "{} done  {} pending  {} failed", j["files"]["done"].get<int>(),
                           j["files"]["pending"].get<int>(), j["files"]["failed"].get<int>())) !=
                   std::string::npos &&
               line_with(screen, "Samples ")
                       .find(fmt::format("{} live", j["samples"]["live"].get<int>())) !=
                   std::string::npos &&
               line_with(screen, "Total   ")
                       .find(fmt::format("{}/{} files",
                                         run["done"].get<int>() + run["failed"].get<int>(),
                                         run["planned"].get<int>())) != std::string::npos;
      },
      10);
  EXPECT_TRUE(agree) << j.dump(2) << "\n" << screen;
}

TEST_F(TuiTmux, ShowsARunLivePausesAndResumesItAndGivesTheTerminalBack) {
  auto started = Clock::now();
  server.hold();
  prepare_pid =
      test::spawn_logged({test::git2dataset_exe().string(), "prepare", "--config", config.string()},
                         ws / "prepare.out");
  ASSERT_GT(prepare_pid, 0);
  // Two files in flight (max_concurrent_files), each waiting for its questions.
  ASSERT_TRUE(eventually([&] { return server.waiting() == 2; }))
      << test::read_file(ws / "prepare.out");

  Tmux tmux;
  ASSERT_TRUE(tmux.start(pane_script()));
  std::string screen;
  ASSERT_TRUE(eventually([&] {
    screen = tmux.capture();
    return screen.find("Progress · 2 in flight") != std::string::npos &&
           screen.find("files to generate") != std::string::npos;
  })) << screen;
  EXPECT_TRUE(tmux.alternate_screen());
  EXPECT_THAT(line_with(screen, "git2dataset"), HasSubstr(" running "));
  EXPECT_THAT(line_with(screen, "git2dataset"), HasSubstr("openai · fake-model"));
  EXPECT_THAT(screen, HasSubstr("┌ System"));
  EXPECT_THAT(screen, HasSubstr("┌ Pipeline"));
  EXPECT_THAT(screen, HasSubstr("┌ Progress bars"));
  EXPECT_THAT(line_with(screen, "┌ Log · "), HasSubstr("g2d.log"));
  EXPECT_THAT(screen, HasSubstr("GPU"));
  EXPECT_THAT(screen, HasSubstr(fmt::format("Repo    github.com/o/r  0/{} files", k_files)));
  EXPECT_THAT(screen, HasSubstr("Skipped not_source 1"));
  EXPECT_THAT(screen, HasSubstr("github.com/o/r/f"));  // the files in flight
  expect_agrees_with_status(tmux, [&] { return status(); });

  // p: the run is asked to pause; released, the files in flight finish and no other starts.
  tmux.keys("p");
  ASSERT_TRUE(eventually([&] { return status()["last_run"]["pause_requested"] == true; }))
      << tmux.capture();
  EXPECT_TRUE(
      eventually([&] { return tmux.capture().find("pause requested") != std::string::npos; }));
  server.release();
  ASSERT_TRUE(eventually([&] {
    return status()["last_run"]["paused"] == "pause requested by the user";
  })) << tmux.capture();
  ASSERT_TRUE(eventually([&] {
    screen = tmux.capture();
    return screen.find("Progress · 0 in flight") != std::string::npos &&
           screen.find("paused: pause requested by the user") != std::string::npos;
  })) << screen;
  int done_paused = status()["last_run"]["done"].get<int>();
  EXPECT_LT(done_paused, k_files);
  expect_agrees_with_status(tmux, [&] { return status(); });
  int completions = server.completions();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // a paused run stays still
  EXPECT_EQ(server.completions(), completions);
  EXPECT_EQ(status()["last_run"]["done"].get<int>(), done_paused);

  // p again: it resumes and finishes; the summary stays up.
  tmux.keys("p");
  ASSERT_TRUE(eventually([&] {
    json j = status();
    return j["last_run"]["pause_requested"] == false && j["last_run"]["state"] == "finished";
  })) << tmux.capture()
      << test::read_file(ws / "prepare.out");
  int wstatus = 0;
  ASSERT_EQ(waitpid(prepare_pid, &wstatus, 0), prepare_pid);
  prepare_pid = -1;
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0)
      << test::read_file(ws / "prepare.out");
  ASSERT_TRUE(eventually([&] {
    screen = tmux.capture();
    return screen.find("Finished after") != std::string::npos;
  })) << screen;
  EXPECT_THAT(line_with(screen, "git2dataset"), HasSubstr(" finished "));
  EXPECT_THAT(screen, HasSubstr(fmt::format("Done    {0} of {0}", k_files)));
  EXPECT_THAT(screen, HasSubstr(fmt::format("Total   {0}/{0} files  100%", k_files)));
  EXPECT_THAT(line_with(screen, "git2dataset"), Not(HasSubstr("pause")));
  expect_agrees_with_status(tmux, [&] { return status(); });

  // A resize is drawn at the new size; below 80×24 it says so.
  tmux.resize(100, 30);
  ASSERT_TRUE(eventually([&] {
    screen = tmux.capture();
    std::string top = line_with(screen, "┌ System");
    return top.ends_with("┐") && columns(top) == 100 &&
           screen.find("Finished after") != std::string::npos;
  })) << screen;
  tmux.resize(70, 20);
  ASSERT_TRUE(eventually([&] {
    return tmux.capture().find("terminal too small: need 80×24") != std::string::npos;
  })) << tmux.capture();
  tmux.resize(80, 24);
  ASSERT_TRUE(eventually([&] {
    return tmux.capture().find("Finished after") != std::string::npos;
  })) << tmux.capture();

  // q: the terminal as it was — what was printed before is back, echo and line editing are on.
  tmux.keys("q");
  ASSERT_TRUE(eventually([&] {
    screen = tmux.capture();
    return screen.find("MODE=icanon") != std::string::npos;
  })) << screen;
  EXPECT_THAT(screen, HasSubstr("BEFORE-TUI-MARKER"));
  EXPECT_THAT(screen, HasSubstr("TUI-EXIT=0"));
  EXPECT_THAT(screen, HasSubstr("MODE=echo"));
  EXPECT_THAT(screen, Not(HasSubstr("MODE=-")));
  EXPECT_THAT(screen, Not(HasSubstr("┌ System")));

  // The second dashboard (started by Enter), ended by Ctrl-C (SIGINT): exit 130, the terminal
  // given back too.
  tmux.keys("Enter");
  ASSERT_TRUE(eventually([&] {
    return tmux.alternate_screen() && tmux.capture().find("┌ System") != std::string::npos;
  })) << tmux.capture();
  tmux.keys("C-c");
  ASSERT_TRUE(eventually([&] {
    screen = tmux.capture();
    return screen.find("MODE2=icanon") != std::string::npos;
  })) << screen;
  EXPECT_THAT(screen, HasSubstr("TUI2-EXIT=130"));
  EXPECT_THAT(screen, HasSubstr("MODE2=echo"));
  EXPECT_THAT(screen, Not(HasSubstr("MODE2=-")));
  EXPECT_FALSE(tmux.alternate_screen());
  std::cerr << "tmux end-to-end took "
            << std::chrono::duration<double>(Clock::now() - started).count() << " s\n";
}

// On a terminal that cannot place the cursor it refuses; without a database it says so like
// `status` does, and creates nothing.
TEST_F(TuiTmux, RefusesADumbTerminalAndSaysWhenThereIsNoDatabase) {
  Tmux tmux;
  std::string tui = shell_quote(test::git2dataset_exe().string()) + " tui --config " +
                    shell_quote(config.string());
  ASSERT_TRUE(tmux.start("TERM=dumb " + tui + "; echo DUMB-EXIT=$?; " + tui +
                         "; echo TUI-EXIT=$?; exec sleep 600"));
  std::string screen;
  ASSERT_TRUE(eventually([&] {
    screen = tmux.capture(/*join=*/true);
    return screen.find("TUI-EXIT=") != std::string::npos;
  })) << screen;
  EXPECT_THAT(screen, HasSubstr("tui needs a terminal: TERM is \"dumb\""));
  EXPECT_THAT(screen, HasSubstr("DUMB-EXIT=1"));
  EXPECT_THAT(screen, HasSubstr("no database yet (run `git2dataset prepare` first)"));
  EXPECT_THAT(screen, HasSubstr("TUI-EXIT=1"));
  EXPECT_FALSE(fs::exists(ws / "g2d.db"));
}

// Without a terminal it refuses before touching anything, naming why (no tmux needed).
TEST(TuiCli, RefusesWithoutATerminal) {
  test::TempDir tmp;
  auto r = test::run_git2dataset({"tui", "--config", (tmp / "none.yaml").string()});
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_THAT(r.output, HasSubstr("tui needs a terminal: standard output is not a terminal"));
}

}  // namespace
}  // namespace g2d
