// Several servers in one run (llm.base_urls → llm/router.hpp) with three real llama-servers on
// loopback ports serving the tiny model: files spread over all three, each file's calls on one
// server (seen by a relay in front of each), the prompt reused there; one server killed with
// SIGKILL mid-run — the run completes on the other two with every file done once — then restarted
// and taken back; one server behind a fault-injecting proxy (refusals, resets, stalls).
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http_test_server.hpp"
#include "llama_server.hpp"
#include "llm/openai/openai_backend.hpp"
#include "llm/router.hpp"
#include "pipeline/prepare.hpp"
#include "planned_file.hpp"
#include "relay.hpp"
#include "support.hpp"

namespace g2d::pipeline {
namespace {

using namespace std::chrono_literals;

class ThreeServers : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    for (int i = 0; i < 3; ++i) {
      auto server =
          test::LlamaServer::start(test::tiny_model_path(), {"-c", "4096", "-np", "2"}, s_why);
      if (!server)
        return;
      s_servers.push_back(server.release());
    }
  }
  static void TearDownTestSuite() {
    for (auto* s : s_servers)
      delete s;
    s_servers.clear();
  }
  void SetUp() override {
    if (s_servers.size() < 3)
      GTEST_SKIP() << "three llama-servers did not start: " << s_why;
    auto opened = store::open_sqlite(m_dir.path() / "g2d.db");
    ASSERT_TRUE(opened) << opened.error().describe();
    m_db = std::move(*opened);
    m_options.repos_dir = m_dir.path() / "repos";
    m_options.model = "tiny";
    m_options.settings_fingerprint = "fp";
    m_options.questions_per_file = 2;
    m_options.max_tokens = 40;
    m_options.temperature = 0;
    m_options.max_retries = 3;
    m_options.concurrent_files = 6;  // 3 servers × parallel 2
    m_options.backoff = 50ms;
  }

  // `count` small C files named <prefix><i>.c, each with functions of its own names, planned.
  Plan files(const std::string& prefix, int count) {
    Plan plan;
    for (int f = 0; f < count; ++f) {
      std::string name = prefix + std::to_string(f);
      std::string code;
      for (int i = 0; i < 3; ++i)
        code += "int " + name + "_part" + std::to_string(i) + "(int x) {\n  return x * " +
                std::to_string(i + f) + ";\n}\n\n";
      plan.files.push_back(planned_file(m_options.repos_dir, "r", name + ".c", code));
    }
    return plan;
  }

  // The router over `urls`, each server parallel 2.
  static std::unique_ptr<llm::Backend> router(const std::vector<std::string>& urls,
                                              llm::RouterOptions options = {},
                                              std::chrono::seconds timeout = 60s) {
    std::vector<llm::RoutedServer> servers;
    for (const auto& url : urls) {
      llm::openai::OpenAiOptions o;
      o.base_url = url;
      o.request_timeout = timeout;
      servers.push_back(llm::RoutedServer{url, llm::openai::make_openai_backend(o), 2, 1});
    }
    return llm::make_router(std::move(servers), options);
  }

  // file path → its samples' questions.
  std::map<std::string, std::vector<std::string>> questions_by_file() {
    std::map<std::string, std::vector<std::string>> out;
    auto st = m_db->for_each_sample([&](const store::SampleRecord& s) -> Status {
      out[s.file_path].push_back(s.question);
      return {};
    });
    EXPECT_TRUE(st) << st.error().describe();
    return out;
  }

  static const llm::EndpointStatus& status_of(const std::vector<llm::EndpointStatus>& all,
                                              const std::string& name) {
    for (const auto& e : all)
      if (e.name == name)
        return e;
    static const llm::EndpointStatus none;
    ADD_FAILURE() << "no endpoint " << name;
    return none;
  }

  static inline std::vector<test::LlamaServer*> s_servers;
  static inline std::string s_why;
  test::TempDir m_dir;
  std::unique_ptr<store::Store> m_db;
  PrepareOptions m_options;
};

struct FailedFiles final : ProgressObserver {
  void on_file_done(const FileOutcome& f) override {
    std::lock_guard lock(mutex);
    if (!f.ok)
      text += f.file_path + ": " + f.error + "\n";
  }
  std::mutex mutex;
  std::string text;
};

TEST_F(ThreeServers, ARunSpreadsFilesOverEveryServerAndKeepsEachFileOnOne) {
  // A relay in front of each server sees which files' code its completion requests carry.
  std::mutex mutex;
  std::map<std::string, std::set<int>> servers_of_file;  // guarded by mutex
  net::ClientPool upstream;
  std::vector<std::unique_ptr<test::TestHttpServer>> relays;
  std::vector<std::string> urls;
  const Plan plan = files("spread", 9);
  for (int i = 0; i < 3; ++i) {
    const std::string target = s_servers[static_cast<size_t>(i)]->url();
    relays.push_back(
        std::make_unique<test::TestHttpServer>([&, i, target](const test::ReceivedRequest& r) {
          if (r.target != "/v1/chat/completions") {
            auto client = upstream.lease();
            return test::relay(*client, target, r);
          }
          {
            std::lock_guard lock(mutex);
            for (const auto& p : plan.files)
              if (r.body.find(p.file.path) != std::string::npos)
                servers_of_file[p.file.path].insert(i);
          }
          return test::stream_relay(upstream, target, r);
        }));
    urls.push_back(relays.back()->url());
  }
  auto backend = router(urls);
  FailedFiles failed;
  m_options.progress = &failed;
  auto summary = run_prepare(*m_db, *backend, generate::builtin_prompts(), plan, m_options);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->done, 9) << failed.text;

  std::lock_guard lock(mutex);
  ASSERT_EQ(servers_of_file.size(), 9U);
  std::set<int> used;
  for (const auto& [file, servers] : servers_of_file) {
    EXPECT_EQ(servers.size(), 1U) << file << "'s calls went to several servers";
    used.insert(servers.begin(), servers.end());
  }
  EXPECT_EQ(used.size(), 3U) << "not every server was given files";
  // The questions call evaluates the file's prompt; its answer calls reuse it on the same slot.
  std::int64_t prompt = 0;
  std::int64_t cached = 0;
  for (const auto& e : backend->endpoints()) {
    EXPECT_GT(e.calls, 0) << e.name;
    EXPECT_EQ(e.in_flight, 0) << e.name << ": every unit ended";
    prompt += e.prompt_tokens;
    cached += e.cached_prompt_tokens;
  }
  // (The tiny model keeps one or two questions per file: about half the tokens are reused.)
  EXPECT_GT(cached * 3, prompt) << "less than a third of the prompt tokens were reused: " << cached
                                << " of " << prompt;
}

TEST_F(ThreeServers, AServerKilledMidRunLeavesItsFilesToTheOthersAndComesBackWhenRestarted) {
  std::vector<std::string> urls;
  for (auto* s : s_servers)
    urls.push_back(s->url());
  llm::RouterOptions options;
  options.probe_first = 200ms;
  options.probe_max = 1s;
  auto backend = router(urls, options);
  test::LlamaServer& victim = *s_servers[1];

  // SIGKILL once a few calls are done, so the victim has units in flight.
  struct Killer final : ProgressObserver {
    explicit Killer(test::LlamaServer& s) : server(s) {}
    void on_call_done(int questions, int answers) override {
      if (calls.fetch_add(questions + answers) + questions + answers >= 6 && !killed.exchange(true))
        server.kill_now();
    }
    void on_file_done(const FileOutcome& f) override { failed.on_file_done(f); }
    test::LlamaServer& server;
    std::atomic<int> calls{0};
    std::atomic<bool> killed{false};
    FailedFiles failed;
  } killer(victim);
  m_options.progress = &killer;
  const Plan plan = files("kill", 12);
  auto summary = run_prepare(*m_db, *backend, generate::builtin_prompts(), plan, m_options);
  ASSERT_TRUE(summary) << summary.error().describe();
  ASSERT_TRUE(killer.killed) << "the run ended before the kill";
  EXPECT_EQ(summary->done, 12) << killer.failed.text;
  EXPECT_EQ(summary->failed, 0);
  // Nothing lost, nothing twice: every file has its samples (the tiny model keeps one or two
  // of the two questions asked), none of them twice.
  auto questions = questions_by_file();
  EXPECT_EQ(questions.size(), 12U);
  for (const auto& [file, qs] : questions) {
    EXPECT_GE(qs.size(), 1U) << file;
    EXPECT_LE(qs.size(), 2U) << file;
    EXPECT_EQ(std::set<std::string>(qs.begin(), qs.end()).size(), qs.size()) << file;
  }
  auto after_kill = status_of(backend->endpoints(), victim.url());
  EXPECT_EQ(after_kill.state, "down");
  EXPECT_GT(after_kill.calls, 0) << "the victim had no share of the run";
  EXPECT_GE(after_kill.errors, 1) << "the kill hit no call in flight";

  // Restarted on its port: probed, taken back, and given files again.
  std::string why;
  ASSERT_TRUE(victim.restart(why)) << why;
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (status_of(backend->endpoints(), victim.url()).state != "up" &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(50ms);
  ASSERT_EQ(status_of(backend->endpoints(), victim.url()).state, "up");
  FailedFiles failed;
  m_options.progress = &failed;
  auto more =
      run_prepare(*m_db, *backend, generate::builtin_prompts(), files("back", 6), m_options);
  ASSERT_TRUE(more) << more.error().describe();
  EXPECT_EQ(more->done, 6) << failed.text;
  EXPECT_GT(status_of(backend->endpoints(), victim.url()).calls, after_kill.calls);
}

// One server behind a proxy that, on every other completion, closes the connection before
// replying or resets it in the middle of the stream, and once stalls past the idle timeout: the
// run completes, every file done.
TEST_F(ThreeServers, AFaultyServerAmongThemDoesNotFailTheRun) {
  std::mutex mutex;
  int completions = 0;  // guarded by mutex
  int injected = 0;     // guarded by mutex
  net::ClientPool upstream;
  const std::string target = s_servers[0]->url();
  test::TestHttpServer proxy([&](const test::ReceivedRequest& r) {
    if (r.target != "/v1/chat/completions") {
      auto client = upstream.lease();
      return test::relay(*client, target, r);
    }
    test::Reply reply = test::stream_relay(upstream, target, r);
    std::lock_guard lock(mutex);
    const int n = completions++;
    if (n % 2 == 1)
      return reply;
    ++injected;
    if (injected == 3)  // nothing at all for longer than the idle timeout
      reply.produce = [](const std::function<bool(std::string_view)>&) {
        std::this_thread::sleep_for(32s);
      };
    else
      reply.fault = injected % 2 == 0 ? test::Reply::Fault::reset_mid_body
                                      : test::Reply::Fault::close_before_reply;
    return reply;
  });
  llm::RouterOptions options;
  options.probe_first = 200ms;
  options.probe_max = 2s;
  auto backend = router({proxy.url(), s_servers[1]->url(), s_servers[2]->url()}, options, 10s);
  FailedFiles failed;
  m_options.progress = &failed;
  auto summary =
      run_prepare(*m_db, *backend, generate::builtin_prompts(), files("faulty", 9), m_options);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->done, 9) << failed.text;
  EXPECT_EQ(summary->failed, 0);
  std::lock_guard lock(mutex);
  EXPECT_GE(injected, 3) << "too few faults injected to mean anything";
  EXPECT_GT(status_of(backend->endpoints(), proxy.url()).errors, 0);
}

}  // namespace
}  // namespace g2d::pipeline
