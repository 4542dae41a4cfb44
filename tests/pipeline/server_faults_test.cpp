// The whole prepare pipeline through the openai backend to a real llama-server, with a
// fault-injecting proxy in between: a connection closed before the reply, a reset in the middle
// of the stream, 500 and 503, a stall longer than the idle timeout, a truncated body, and a
// context-overflow 400. Each has its documented effect — transient faults are retried, the
// overflow makes the unit be cut again — and the run completes with every file done.
#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http_test_server.hpp"
#include "llama_server.hpp"
#include "llm/openai/openai_backend.hpp"
#include "net/http.hpp"
#include "pipeline/prepare.hpp"
#include "planned_file.hpp"
#include "relay.hpp"
#include "support.hpp"

namespace g2d::pipeline {
namespace {

using test::ReceivedRequest;
using test::relay;
using test::Reply;
using test::stream_relay;

TEST(ServerFaults, EveryFaultHasItsDocumentedEffectAndTheRunCompletes) {
  std::string why;
  auto server = test::LlamaServer::start(test::tiny_model_path(), {"-c", "4096", "-np", "2"}, why);
  if (!server)
    GTEST_SKIP() << "no llama-server: " << why;

  // Faults on every other completion request, so that each call's retry gets through.
  const std::vector<std::string> faults = {"close", "500", "reset", "503", "stall", "truncate"};
  std::mutex m;
  int completions = 0;             // guarded by m
  std::set<std::string> injected;  // guarded by m
  bool overflowed = false;         // guarded by m
  net::ClientPool upstream;
  auto forward = [&](const ReceivedRequest& r) {
    auto client = upstream.lease();
    return relay(*client, server->url(), r);
  };
  test::TestHttpServer proxy([&](const ReceivedRequest& r) {
    if (r.target != "/v1/chat/completions")
      return forward(r);
    std::unique_lock lock(m);
    // The first questions call about c.c: too long for the context, says the server.
    if (!overflowed && r.body.find("int c0(") != std::string::npos &&
        r.body.find("int c5(") != std::string::npos) {
      overflowed = true;
      injected.insert("overflow");
      Reply reply;
      reply.status = 400;
      reply.chunks = {R"({"error":{"code":400,"message":"the request exceeds the available )"
                      R"(context size","type":"exceed_context_size_error"}})"};
      return reply;
    }
    int n = completions++;  // the others: every other one gets the next fault
    if (n % 2 == 0 && n / 2 < static_cast<int>(faults.size())) {
      const std::string& fault = faults[static_cast<size_t>(n / 2)];
      injected.insert(fault);
      lock.unlock();
      Reply reply = stream_relay(upstream, server->url(), r);
      if (fault == "close") {
        reply.fault = Reply::Fault::close_before_reply;
      } else if (fault == "500" || fault == "503") {
        reply.status = std::stoi(fault);
        reply.chunks = {R"({"error":{"message":"injected"}})"};
        reply.produce = nullptr;
      } else if (fault == "reset") {
        reply.fault = Reply::Fault::reset_mid_body;
      } else if (fault == "stall") {  // nothing at all for longer than the idle timeout
        reply.produce = [](const std::function<bool(std::string_view)>&) {
          std::this_thread::sleep_for(std::chrono::seconds(20));
        };
      } else if (fault == "truncate") {  // the stream ends without its last chunk
        reply.fault = Reply::Fault::truncated_body;
      }
      return reply;
    }
    lock.unlock();
    return stream_relay(upstream, server->url(), r);
  });

  test::TempDir dir;
  auto db = store::open_sqlite(dir.path() / "g2d.db");
  ASSERT_TRUE(db) << db.error().describe();
  PrepareOptions options;
  options.repos_dir = dir.path() / "repos";
  options.model = "openai";
  options.settings_fingerprint = "fp";
  options.questions_per_file = 2;
  options.max_tokens = 40;
  options.temperature = 0;
  options.max_retries = 4;
  options.concurrent_files = 2;
  options.backoff = std::chrono::milliseconds(10);
  Plan plan;
  for (std::string name : {"a", "b", "c"}) {
    std::string code;
    for (int i = 0; i < 6; ++i)
      code += "int " + name + std::to_string(i) + "(int x) {\n  return x * " + std::to_string(i) +
              ";\n}\n\n";
    plan.files.push_back(planned_file(options.repos_dir, "r", name + ".c", code));
  }
  llm::openai::OpenAiOptions o;
  o.base_url = proxy.url();
  // Long enough for one short generation on a busy machine; the stall is longer.
  o.request_timeout = std::chrono::seconds(10);
  auto backend = llm::openai::make_openai_backend(o);
  struct Errors final : ProgressObserver {
    void on_file_done(const FileOutcome& f) override {
      if (!f.ok)
        text += f.file_path + ": " + f.error + "\n";
    }
    std::string text;
  } errors;
  options.progress = &errors;
  auto summary = run_prepare(**db, *backend, generate::builtin_prompts(), plan, options);
  ASSERT_TRUE(summary) << summary.error().describe();
  EXPECT_EQ(summary->done, 3) << errors.text;
  EXPECT_EQ(summary->failed, 0);
  EXPECT_EQ(injected.size(), faults.size() + 1)
      << "not every fault was injected: " << testing::PrintToString(injected) << " in "
      << completions << " completion requests";
  std::set<int> c_units;
  auto st = (*db)->for_each_sample([&](const store::SampleRecord& s) -> Status {
    if (s.file_path == "r/c.c")
      c_units.insert(s.line_start);
    return {};
  });
  ASSERT_TRUE(st);
  EXPECT_GE(c_units.size(), 2u) << "the overflowing unit was not cut again";
}

}  // namespace
}  // namespace g2d::pipeline
