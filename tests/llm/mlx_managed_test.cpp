// The mlx backend starting and stopping mlx_lm.server itself, tested against a FAKE mlx_lm.server
// (tests/llm/fakes/fake_mlx_lm_server.py: the real one's arguments and protocol, no model), which
// can crash, hang or load slowly on demand. Starting and stopping the REAL mlx_lm.server is
// tested in mlx_real_test.cpp.
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <signal.h>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "llm/openai/mlx_server.hpp"
#include "support.hpp"

namespace g2d::llm::openai {
namespace {

using namespace std::chrono_literals;

// Each start of the fake: its pid and its arguments.
struct Start {
  int pid = 0;
  std::string args;
};

class MlxManagedServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("FAKE_MLX_LOG", (m_dir / "starts.log").c_str(), 1);
    ::unsetenv("FAKE_MLX_MODE");
  }
  void TearDown() override {
    ::unsetenv("FAKE_MLX_LOG");
    ::unsetenv("FAKE_MLX_MODE");
  }

  MlxServerOptions options() const {
    MlxServerOptions o;
    o.command = G2D_FAKE_MLX_SERVER;
    o.client.model = "mlx-community/Fake-Coder-4bit";
    o.client.request_timeout = 30s;
    o.start_timeout = 60s;
    return o;
  }

  std::vector<Start> starts() const {
    std::vector<Start> out;
    if (!std::filesystem::exists(m_dir / "starts.log"))
      return out;
    std::istringstream lines(test::read_file(m_dir / "starts.log"));
    for (std::string line; std::getline(lines, line);) {
      auto space = line.find(' ');
      out.push_back(Start{std::stoi(line.substr(0, space)), line.substr(space + 1)});
    }
    return out;
  }

  static GenerateRequest ask(const std::string& what) {
    GenerateRequest r;
    r.messages = {{Role::user, what}};
    r.max_tokens = 16;
    return r;
  }

  static bool alive(int pid) { return ::kill(pid, 0) == 0; }

  test::TempDir m_dir;
};

TEST_F(MlxManagedServerTest, StartsTheServerOnFirstUseWithTheModelOnLoopback) {
  auto backend = make_managed_mlx_backend(options());
  EXPECT_EQ(backend->name(), "mlx");
  EXPECT_TRUE(starts().empty());  // nothing runs until it is needed
  auto info = backend->model_info();
  ASSERT_TRUE(info) << info.error().describe();
  EXPECT_EQ(info->name, "mlx-community/Fake-Coder-4bit");
  EXPECT_FALSE(info->structured_output);
  auto reply = backend->generate(ask("What does main do?"), {});
  ASSERT_TRUE(reply) << reply.error().describe();
  EXPECT_NE(reply->text.find("to: What does main do?"), std::string::npos);
  auto s = starts();
  ASSERT_EQ(s.size(), 1U);  // one server for both calls
  EXPECT_NE(s[0].args.find("--model mlx-community/Fake-Coder-4bit"), std::string::npos);
  EXPECT_NE(s[0].args.find("--host 127.0.0.1 --port "), std::string::npos);
  EXPECT_TRUE(alive(s[0].pid));
}

TEST_F(MlxManagedServerTest, ALocalModelFolderIsPassedByItsAbsolutePath) {
  // mlx_lm.server names a local model by its resolved path; a relative one would not match.
  auto cwd = std::filesystem::current_path();
  std::filesystem::create_directories(m_dir / "models/tiny");
  std::filesystem::current_path(m_dir.path());
  auto o = options();
  o.client.model = "models/tiny";
  auto backend = make_managed_mlx_backend(o);
  auto info = backend->model_info();
  std::filesystem::current_path(cwd);
  ASSERT_TRUE(info) << info.error().describe();
  auto absolute = std::filesystem::canonical(m_dir / "models/tiny").string();
  EXPECT_EQ(info->name, absolute);
  ASSERT_EQ(starts().size(), 1U);
  EXPECT_NE(starts()[0].args.find("--model " + absolute + " "), std::string::npos);
}

TEST_F(MlxManagedServerTest, UnloadStopsTheServerAndTheNextCallStartsItAgain) {
  auto backend = make_managed_mlx_backend(options());
  ASSERT_TRUE(backend->generate(ask("one"), {}));
  ASSERT_EQ(starts().size(), 1U);
  int first = starts()[0].pid;
  backend->unload();
  EXPECT_FALSE(alive(first)) << "unload left mlx_lm.server running";
  auto again = backend->generate(ask("two"), {});
  ASSERT_TRUE(again) << again.error().describe();
  auto s = starts();
  ASSERT_EQ(s.size(), 2U);
  EXPECT_NE(s[1].pid, first);
  EXPECT_NE(again->text.find("pid " + std::to_string(s[1].pid)), std::string::npos);
}

TEST_F(MlxManagedServerTest, AnIdleServerIsStoppedAndStartedAgainWhenNeeded) {
  auto o = options();
  o.idle_stop = 500ms;
  auto backend = make_managed_mlx_backend(o);
  ASSERT_TRUE(backend->generate(ask("one"), {}));
  int first = starts()[0].pid;
  auto until = std::chrono::steady_clock::now() + 30s;
  while (alive(first) && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(alive(first)) << "the idle server was not stopped";
  ASSERT_TRUE(backend->generate(ask("two"), {}));
  EXPECT_EQ(starts().size(), 2U);
}

TEST_F(MlxManagedServerTest, AServerInUseIsNotStoppedForIdleness) {
  auto o = options();
  o.idle_stop = 2s;  // far longer than the gaps between calls, even on a loaded machine
  auto backend = make_managed_mlx_backend(o);
  for (int i = 0; i < 8; ++i) {  // a call every 100 ms for 800 ms
    ASSERT_TRUE(backend->generate(ask("busy"), {}));
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(starts().size(), 1U);
}

TEST_F(MlxManagedServerTest, DestroyingTheBackendStopsTheServer) {
  {
    auto backend = make_managed_mlx_backend(options());
    ASSERT_TRUE(backend->model_info());
  }
  auto s = starts();
  ASSERT_EQ(s.size(), 1U);
  EXPECT_FALSE(alive(s[0].pid));
}

TEST_F(MlxManagedServerTest, AServerThatDiedIsStartedAgainByTheNextCall) {
  auto backend = make_managed_mlx_backend(options());
  ASSERT_TRUE(backend->generate(ask("one"), {}));
  int first = starts()[0].pid;
  ASSERT_EQ(::kill(first, SIGKILL), 0);
  // The call that finds it gone starts it again and is answered by the new one.
  auto reply = backend->generate(ask("after the crash"), {});
  ASSERT_TRUE(reply) << reply.error().describe();
  EXPECT_EQ(starts().size(), 2U);
}

TEST_F(MlxManagedServerTest, AServerThatExitsWhileStartingIsAConfigErrorWithItsOutput) {
  ::setenv("FAKE_MLX_MODE", "exit", 1);
  auto backend = make_managed_mlx_backend(options());
  auto info = backend->model_info();
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().kind, ErrorKind::config);
  EXPECT_NE(info.error().message.find("exited"), std::string::npos) << info.error().message;
  EXPECT_NE(info.error().message.find("Model not found: mlx-community/Fake-Coder-4bit"),
            std::string::npos)
      << info.error().message;
}

TEST_F(MlxManagedServerTest, CallsThatWaitedForAFailedStartShareItsErrorInsteadOfStartingAgain) {
  ::setenv("FAKE_MLX_MODE", "exit", 1);
  auto backend = make_managed_mlx_backend(options());
  std::vector<std::jthread> callers;
  std::atomic<int> config_errors{0};
  for (int i = 0; i < 4; ++i)
    callers.emplace_back([&] {
      auto reply = backend->generate(ask("call"), {});
      if (!reply && reply.error().kind == ErrorKind::config)
        ++config_errors;
    });
  callers.clear();
  EXPECT_EQ(config_errors.load(), 4);
  // Calls that arrived while a start was under way took its result: fewer starts than calls.
  EXPECT_LT(starts().size(), 4U);
}

TEST_F(MlxManagedServerTest, AMissingCommandSaysHowToInstallIt) {
  auto o = options();
  o.command = "g2d-no-such-mlx_lm.server";
  auto backend = make_managed_mlx_backend(o);
  auto info = backend->model_info();
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().kind, ErrorKind::not_found);
  EXPECT_NE(info.error().message.find("pip install mlx-lm"), std::string::npos)
      << info.error().message;
}

TEST_F(MlxManagedServerTest, AServerThatNeverAnswersTimesOutAndIsStopped) {
  ::setenv("FAKE_MLX_MODE", "hang", 1);
  auto o = options();
  o.start_timeout = 2s;
  auto backend = make_managed_mlx_backend(o);
  auto info = backend->model_info();
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().kind, ErrorKind::timeout);
  auto s = starts();
  ASSERT_EQ(s.size(), 1U);
  EXPECT_FALSE(alive(s[0].pid));
}

TEST_F(MlxManagedServerTest, AStopWhileTheServerLoadsCancelsTheCallAtOnce) {
  ::setenv("FAKE_MLX_MODE", "hang", 1);
  auto backend = make_managed_mlx_backend(options());
  std::stop_source stop;
  std::jthread stopper([&] {
    // Once the server has started (it logs its start, then hangs instead of listening).
    auto until = std::chrono::steady_clock::now() + 30s;
    while (starts().empty() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(10ms);
    stop.request_stop();
  });
  auto reply = backend->generate(ask("one"), stop.get_token());
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().kind, ErrorKind::cancelled);
}

TEST_F(MlxManagedServerTest, CallsFromManyThreadsShareOneServerStartedOnce) {
  ::setenv("FAKE_MLX_MODE", "slow", 1);  // all of them arrive while it loads
  auto backend = make_managed_mlx_backend(options());
  std::vector<std::jthread> callers;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i)
    callers.emplace_back([&, i] {
      if (backend->generate(ask("call " + std::to_string(i)), {}))
        ++ok;
    });
  callers.clear();
  EXPECT_EQ(ok.load(), 4);
  EXPECT_EQ(starts().size(), 1U);
}

}  // namespace
}  // namespace g2d::llm::openai
