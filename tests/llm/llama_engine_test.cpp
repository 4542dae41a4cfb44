// The embedded engine against the real tiny model (SmolLM2-135M-Instruct) through libllama.
#include <algorithm>
#include <chrono>
#include <future>
#include <thread>

#include <gtest/gtest.h>

#include "llm/json_schema.hpp"
#include "llm/llama/engine.hpp"
#include "llm/llama/llama_backend.hpp"
#include "llm/llama/model.hpp"
#include "support.hpp"

namespace g2d::llm::llama {
namespace {

using namespace std::chrono_literals;

constexpr const char* k_c_file = R"(#include <stdio.h>

/* Returns the larger of two integers. */
static int max_int(int a, int b) { return a > b ? a : b; }

int main(void) {
  int values[] = {3, 9, 4};
  int best = values[0];
  for (int i = 1; i < 3; ++i) best = max_int(best, values[i]);
  printf("%d\n", best);
  return 0;
}
)";

nlohmann::json questions_schema(int n) {
  return {{"type", "object"},
          {"properties",
           {{"questions",
             {{"type", "array"},
              {"items", {{"type", "string"}, {"minLength", 5}, {"maxLength", 200}}},
              {"minItems", n},
              {"maxItems", n}}}}},
          {"required", {"questions"}},
          {"additionalProperties", false}};
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_model = test::tiny_model_path();
    if (m_model.empty())
      GTEST_SKIP() << "tiny model not installed; run scripts/setup.sh";
  }
  EngineOptions options(int context = 2048, int sequences = 4) const {
    EngineOptions o;
    o.model = m_model;
    o.context_window = context;
    o.max_sequences = sequences;
    o.threads = 1;  // ggml threads spin: two tests x two threads on two cores crawl
    return o;
  }
  std::filesystem::path m_model;
};

GenerateRequest ask_questions(int n) {
  GenerateRequest r;
  r.messages = {{Role::system, "You write specific technical questions about source code."},
                {Role::user, std::string("File: src/max.c\n\n") + k_c_file},
                {Role::user, "Write " + std::to_string(n) +
                                 " questions about this code as JSON: {\"questions\": [...]}"}};
  r.json_schema = questions_schema(n);
  r.max_tokens = 400;
  r.temperature = 0;
  return r;
}

TEST_F(EngineTest, SmallCFileGivesNSchemaValidQuestions) {
  auto backend = make_llama_backend(options());
  auto result = backend->generate(ask_questions(3), {});
  ASSERT_TRUE(result) << result.error().describe();
  EXPECT_EQ(result->finish, FinishReason::stop) << result->text;
  auto json = nlohmann::json::parse(result->text, nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << result->text;
  EXPECT_TRUE(validate_json(json, questions_schema(3)).empty()) << result->text;
  ASSERT_EQ(json["questions"].size(), 3U);
  EXPECT_GT(result->prompt_tokens, 50);
  EXPECT_GT(result->completion_tokens, 5);
}

TEST_F(EngineTest, QuestionPatternShapesEveryQuestion) {
  // A capital letter, one identifier in backticks, the only '?' at the end.
  nlohmann::json schema = questions_schema(2);
  schema["properties"]["questions"]["items"]["pattern"] =
      "^[A-Z][^`?\\n]{2,70}`[A-Za-z_][A-Za-z0-9_.:]{0,40}`[^?\\n]{0,80}\\?$";
  GenerateRequest request = ask_questions(2);
  request.json_schema = schema;
  request.max_tokens = 600;  // each question is at most 196 characters
  auto backend = make_llama_backend(options());
  auto result = backend->generate(request, {});
  ASSERT_TRUE(result) << result.error().describe();
  EXPECT_EQ(result->finish, FinishReason::stop) << result->text;
  auto json = nlohmann::json::parse(result->text, nullptr, false);
  ASSERT_FALSE(json.is_discarded()) << result->text;
  EXPECT_TRUE(validate_json(json, schema).empty()) << result->text;
  EXPECT_EQ(json["questions"].size(), 2U) << result->text;
}

TEST_F(EngineTest, ReportsContextLengthAndName) {
  auto backend = make_llama_backend(options(1024));
  auto info = backend->model_info();
  ASSERT_TRUE(info) << info.error().describe();
  EXPECT_EQ(info->context_length, 1024);
  EXPECT_EQ(info->trained_context_length, 8192);
  EXPECT_TRUE(info->structured_output);
  EXPECT_FALSE(info->name.empty());

  auto own = make_llama_backend(options(0, 1));
  auto own_info = own->model_info();
  ASSERT_TRUE(own_info) << own_info.error().describe();
  EXPECT_EQ(own_info->context_length, 8192);  // 0 = the model's own
}

TEST_F(EngineTest, PromptOverContextIsATypedError) {
  auto backend = make_llama_backend(options(512, 1));
  GenerateRequest r;
  std::string big;
  for (int i = 0; i < 300; ++i)
    big += "int variable_" + std::to_string(i) + " = " + std::to_string(i) + ";\n";
  r.messages = {{Role::user, big}};
  auto result = backend->generate(r, {});
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::context_overflow);
  EXPECT_NE(result.error().message.find("512"), std::string::npos) << result.error().message;
  // The engine survives and still serves a request that fits.
  GenerateRequest small;
  small.messages = {{Role::user, "Say hi."}};
  small.max_tokens = 8;
  auto ok = backend->generate(small, {});
  EXPECT_TRUE(ok) << ok.error().describe();
}

TEST_F(EngineTest, TokenBudgetIsCappedByTheContext) {
  auto backend = make_llama_backend(options(512, 1));
  GenerateRequest r;
  r.messages = {{Role::user, "Count from one to one thousand in words."}};
  r.max_tokens = 100000;
  r.temperature = 0;
  auto result = backend->generate(r, {});
  ASSERT_TRUE(result) << result.error().describe();
  EXPECT_LE(result->prompt_tokens + result->completion_tokens, 512);
}

TEST_F(EngineTest, MissingModelIsTyped) {
  EngineOptions o = options();
  o.model = "/nonexistent/model.gguf";
  auto backend = make_llama_backend(o);
  auto info = backend->model_info();
  ASSERT_FALSE(info);
  EXPECT_EQ(info.error().kind, ErrorKind::model_missing);
  EXPECT_NE(info.error().message.find("/nonexistent/model.gguf"), std::string::npos);
  auto gen = backend->generate(ask_questions(1), {});
  ASSERT_FALSE(gen);
  EXPECT_EQ(gen.error().kind, ErrorKind::model_missing);
}

TEST_F(EngineTest, GarbageModelIsTyped) {
  test::TempDir dir;
  test::write_file(dir / "bad.gguf", "this is not a model");
  test::write_file(dir / "truncated.gguf", "GGUF\x03\0\0\0");
  for (const char* name : {"bad.gguf", "truncated.gguf"}) {
    EngineOptions o = options();
    o.model = dir / name;
    auto info = make_llama_backend(o)->model_info();
    ASSERT_FALSE(info) << name;
    EXPECT_EQ(info.error().kind, ErrorKind::model_invalid) << name;
  }
}

TEST_F(EngineTest, ConcurrentRequestsAreBatchedAndAllComplete) {
  auto backend = make_llama_backend(options(1024, 4));
  std::vector<std::future<Result<GenerateResult>>> futures;
  for (int i = 0; i < 6; ++i) {  // more than max_sequences: some wait for a free sequence
    futures.push_back(std::async(std::launch::async, [&backend, i] {
      GenerateRequest r;
      r.messages = {{Role::user, "Name a prime number greater than " + std::to_string(i * 10)}};
      r.max_tokens = 24;
      r.temperature = 0.7;
      r.seed = static_cast<uint32_t>(i);
      return backend->generate(r, {});
    }));
  }
  for (auto& f : futures) {
    auto result = f.get();
    ASSERT_TRUE(result) << result.error().describe();
    EXPECT_GT(result->completion_tokens, 0);
    EXPECT_LE(result->completion_tokens, 24);
  }
}

TEST_F(EngineTest, GreedyIsDeterministic) {
  auto backend = make_llama_backend(options(1024, 1));
  GenerateRequest r;
  r.messages = {{Role::user, "What does a C compiler do?"}};
  r.max_tokens = 20;
  r.temperature = 0;
  auto a = backend->generate(r, {});
  auto b = backend->generate(r, {});
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->text, b->text);
}

TEST_F(EngineTest, CancellationIsTyped) {
  auto backend = make_llama_backend(options(2048, 1));
  std::stop_source source;
  GenerateRequest r;
  r.messages = {{Role::user, "Write a very long story about compilers."}};
  r.max_tokens = 1500;
  auto future =
      std::async(std::launch::async, [&] { return backend->generate(r, source.get_token()); });
  std::this_thread::sleep_for(300ms);
  source.request_stop();
  auto result = future.get();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::cancelled);

  std::stop_source already;
  already.request_stop();
  auto before = backend->generate(r, already.get_token());
  ASSERT_FALSE(before);
  EXPECT_EQ(before.error().kind, ErrorKind::cancelled);
}

TEST_F(EngineTest, UnloadFreesAndNextCallReloads) {
  Engine engine(options(512, 1));
  EXPECT_FALSE(engine.loaded());  // lazy: nothing loaded before the first call
  ASSERT_TRUE(engine.info());
  EXPECT_TRUE(engine.loaded());
  engine.unload();
  EXPECT_FALSE(engine.loaded());
  auto n = engine.count_tokens("int main(void) { return 0; }");
  ASSERT_TRUE(n);
  EXPECT_GT(*n, 5);
  EXPECT_TRUE(engine.loaded());
}

TEST_F(EngineTest, UnloadDuringGenerationWaitsAndHoldsNewWork) {
  Engine engine(options(1024, 2));
  GenerateRequest r;
  r.messages = {{Role::user, "Write a long story about a compiler."}};
  r.max_tokens = 120;
  r.temperature = 0;
  auto running = engine.submit(r, {});
  while (!engine.loaded())
    std::this_thread::sleep_for(5ms);
  engine.unload();  // returns once the model is freed, after the running generation ends
  EXPECT_FALSE(engine.loaded());
  auto first = running.get();
  ASSERT_TRUE(first) << first.error().describe();
  EXPECT_GT(first->completion_tokens, 0);
  auto after = engine.submit(r, {}).get();  // new work loads the model again
  EXPECT_TRUE(after) << after.error().describe();
}

TEST_F(EngineTest, CancelledJobsWaitingForRoomAreAnsweredAtOnce) {
  Engine engine(options(1024, 1));
  GenerateRequest long_one;
  long_one.messages = {{Role::user, "Write a very long story about compilers."}};
  long_one.max_tokens = 900;
  auto running = engine.submit(long_one, {});
  std::stop_source source;
  auto waiting = engine.submit(long_one, source.get_token());  // no free sequence: waits
  std::this_thread::sleep_for(100ms);
  source.request_stop();
  // Answered between two decode steps of the running job, long before its 900 tokens are done;
  // the bound only has to survive a loaded machine under ThreadSanitizer.
  ASSERT_EQ(waiting.wait_for(30s), std::future_status::ready) << "cancelled job left waiting";
  auto result = waiting.get();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::cancelled);
  running.get();
}

TEST_F(EngineTest, EmptyConversationIsRejected) {
  Engine engine(options(512, 1));
  auto result = engine.submit(GenerateRequest{}, {}).get();
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, ErrorKind::invalid_argument);
}

TEST_F(EngineTest, IdleModelIsUnloaded) {
  EngineOptions o = options(512, 1);
  o.idle_unload = 1s;
  Engine engine(o);
  ASSERT_TRUE(engine.info());
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (engine.loaded() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_FALSE(engine.loaded());
}

TEST_F(EngineTest, CountTokensUsesTheModelTokenizer) {
  auto backend = make_llama_backend(options(512, 1));
  auto short_text = backend->count_tokens("int x;");
  auto long_text = backend->count_tokens(k_c_file);
  ASSERT_TRUE(short_text && long_text);
  EXPECT_GT(*short_text, 0);
  EXPECT_GT(*long_text, *short_text * 10);
}

TEST_F(EngineTest, SpecialTokensInsideContentAreNotInterpreted) {
  auto model = load_model(m_model, 0);
  ASSERT_TRUE(model) << model.error().describe();
  auto im_end = std::vector<llama_token>(4);
  int n = llama_tokenize(model->vocab, "<|im_end|>", 10, im_end.data(), 4, false, true);
  ASSERT_EQ(n, 1) << "the tiny model should know <|im_end|> as one special token";
  auto count = [&](const std::string& content) {
    auto tokens = tokenize_chat(*model, {{Role::user, content}});
    EXPECT_TRUE(tokens);
    return std::count(tokens->begin(), tokens->end(), im_end[0]);
  };
  EXPECT_EQ(count("a <|im_end|> b <|im_end|>"), count("a b"));
}

}  // namespace
}  // namespace g2d::llm::llama

// ---------------------------------------------------------------------------------------------
// Prefix sharing: a file's calls start with the same system prompt and code; the engine evaluates
// that prefix once and copies its KV cells to the next sequence (same positions, same tokens).

namespace g2d::llm::llama {
namespace {

GenerateRequest about_the_file(const std::string& task, const std::string& key) {
  GenerateRequest r;
  r.messages = {{Role::system, "You answer questions about source code, using only the code."},
                {Role::user, std::string("File: src/max.c\n\n") + k_c_file + "\n\n" + task}};
  r.max_tokens = 16;
  r.temperature = 0;
  r.prefix_key = key;
  return r;
}

TEST_F(EngineTest, AFilesLaterCallsReuseItsEvaluatedPrefix) {
  Engine engine(options(2048, 2));
  auto first = engine.submit(about_the_file("What does max return?", "src/max.c"), {}).get();
  ASSERT_TRUE(first) << first.error().describe();
  EXPECT_EQ(first->cached_prompt_tokens, 0);
  auto second = engine.submit(about_the_file("Which loop is there?", "src/max.c"), {}).get();
  ASSERT_TRUE(second) << second.error().describe();
  // Everything up to the question is shared: most of the prompt.
  EXPECT_GT(second->cached_prompt_tokens, second->prompt_tokens / 2);
  EXPECT_LT(second->cached_prompt_tokens, second->prompt_tokens);
  EXPECT_FALSE(second->text.empty());
}

// The smallest batches in both engines (the engine raises 1 to one token per sequence id), so the
// arithmetic is the same token by token and a difference could only come from wrong cells or
// positions (large batches of different shapes may round differently, which greedy decoding of a
// tiny model can amplify).
TEST_F(EngineTest, ReusedPrefixGivesTheSameGreedyOutputAsAFreshEvaluation) {
  EngineOptions one_by_one = options(2048, 1);
  one_by_one.batch_size = 1;
  Engine shared(one_by_one);
  ASSERT_TRUE(shared.submit(about_the_file("What does max return?", "k"), {}).get());
  auto reused = shared.submit(about_the_file("Which loop is there?", "k"), {}).get();
  Engine fresh(one_by_one);
  auto alone = fresh.submit(about_the_file("Which loop is there?", ""), {}).get();
  ASSERT_TRUE(reused && alone);
  ASSERT_GT(reused->cached_prompt_tokens, 0);
  EXPECT_EQ(alone->cached_prompt_tokens, 0);
  EXPECT_EQ(reused->text, alone->text);
}

TEST_F(EngineTest, SharingCanBeTurnedOff) {
  EngineOptions o = options(2048, 2);
  o.share_prefixes = false;
  Engine engine(o);
  ASSERT_TRUE(engine.submit(about_the_file("What does max return?", "k"), {}).get());
  auto second = engine.submit(about_the_file("Which loop is there?", "k"), {}).get();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->cached_prompt_tokens, 0);
}

TEST_F(EngineTest, RequestsWithoutAPrefixKeyLeaveNothingBehind) {
  Engine engine(options(2048, 2));
  ASSERT_TRUE(engine.submit(about_the_file("What does max return?", ""), {}).get());
  auto second = engine.submit(about_the_file("Which loop is there?", ""), {}).get();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->cached_prompt_tokens, 0);
}

// The pipeline's pattern: a file's questions first, then its answers together.
TEST_F(EngineTest, ConcurrentAnswersAllShareTheQuestionsPrefix) {
  Engine engine(options(2048, 4));
  ASSERT_TRUE(engine.submit(about_the_file("What does max return?", "f"), {}).get());
  std::vector<std::future<Result<GenerateResult>>> futures;
  for (const char* q : {"Which loop is there?", "What if n is 0?", "Name the parameters."})
    futures.push_back(engine.submit(about_the_file(q, "f"), {}));
  int shared = 0;
  for (auto& f : futures) {
    auto r = f.get();
    ASSERT_TRUE(r) << r.error().describe();
    if (r->cached_prompt_tokens > 0)
      ++shared;
  }
  EXPECT_EQ(shared, 3);
}

// A file's answers arrive together, each with the same task before its own question: the first
// evaluates the common part and the others wait for it and copy its cells, instead of evaluating
// the same tokens again. (That the copied cells decode as evaluated ones do is the test above;
// the text of batches of other shapes may differ in the last digits, so it is not compared here.)
GenerateRequest answer_about_the_file(const std::string& question) {
  return about_the_file(
      "Answer the question below from the code above: find what it names in the code, say what "
      "that code does and cite the identifiers and lines involved, in one to three sentences.\n"
      "Question: " +
          question,
      "f");
}

TEST_F(EngineTest, RequestsAdmittedTogetherShareTheirCommonPrefix) {
  Engine engine(options(2048, 4));
  // Posted before the model is loaded, so all three are admitted in one step.
  std::vector<std::future<Result<GenerateResult>>> futures;
  for (const char* q : {"Which loop is there?", "What if n is 0?", "Name the parameters."})
    futures.push_back(engine.submit(answer_about_the_file(q), {}));
  int evaluated = 0;
  int prompt = 0;
  std::string cached;
  for (auto& f : futures) {
    auto r = f.get();
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_FALSE(r->text.empty());
    evaluated += r->prompt_tokens - r->cached_prompt_tokens;
    prompt = r->prompt_tokens;
    cached += std::to_string(r->cached_prompt_tokens) + " ";
  }
  // One prompt in full, and of the two others only their questions (and the template's end).
  EXPECT_LT(evaluated, prompt + 2 * 24) << "cached: " << cached << "of about " << prompt;
}

// A sequence waits for another by its id, which a finished sequence gives back: the first request
// ends on its first token while the second still waits for it, and the third, queued, gets its id
// and would wait for the second — each waiting for the other, nothing left to decode.
TEST_F(EngineTest, AWaitEndsWhenItsSourceFinishesAndItsIdIsGivenToAnother) {
  Engine engine(options(2048, 2));
  auto first = answer_about_the_file("Which loop is there?");
  first.prefix_key.clear();  // nothing kept to share from once it ends
  first.max_tokens = 1;
  auto second = answer_about_the_file("What if n is 0?");
  second.prefix_key.clear();
  auto third = answer_about_the_file("Name the parameters.");
  third.prefix_key.clear();
  // Posted before the model is loaded: the first two are admitted together, the third queued.
  auto a = engine.submit(first, {});
  auto b = engine.submit(second, {});
  auto c = engine.submit(third, {});
  for (auto* f : {&a, &b, &c}) {
    ASSERT_EQ(f->wait_for(std::chrono::seconds(120)), std::future_status::ready);
    auto r = f->get();
    ASSERT_TRUE(r) << r.error().describe();
  }
}

TEST_F(EngineTest, KeptPrefixesYieldToNewWorkWhenTheCacheIsFull) {
  // A small cache: every kept prefix must be evicted for the next distinct file to fit.
  Engine engine(options(512, 1));
  for (int i = 0; i < 6; ++i) {
    auto r = engine
                 .submit(about_the_file("Question " + std::to_string(i) + "?",
                                        "file-" + std::to_string(i)),
                         {})
                 .get();
    ASSERT_TRUE(r) << i << ": " << r.error().describe();
  }
}

}  // namespace
}  // namespace g2d::llm::llama

namespace g2d::llm::llama {
namespace {

// Asks for the file's code back: an answer made of the prompt's own tokens, which prompt lookup
// drafts well.
GenerateRequest quote_the_code(int max_tokens) {
  GenerateRequest r;
  r.messages = {{Role::system, "You answer questions about source code, using only the code."},
                {Role::user, std::string("File: src/max.c\n\n") + k_c_file +
                                 "\n\nCopy the function main of this file exactly."}};
  r.max_tokens = max_tokens;
  r.temperature = 0;
  return r;
}

// Greedy output with drafts is plain decoding's, token for token: a draft token is kept only where
// the sampler picked it. One sequence at a time: requests decoded side by side already differ in
// the last bits of their logits from the same requests decoded alone (the cache's cells are laid
// out differently), which greedy decoding of the tiny model can amplify into another word. The
// drafted and kept counts prove the drafting path ran.
TEST_F(EngineTest, DraftsFromThePromptKeepGreedyOutputIdentical) {
  Engine plain(options(2048, 1));
  EngineOptions o = options(2048, 1);
  o.draft_tokens = 8;
  Engine drafting(o);
  for (const GenerateRequest& r :
       {quote_the_code(96), about_the_file("What does max_int return?", "")}) {
    auto d = drafting.submit(r, {}).get();
    auto p = plain.submit(r, {}).get();
    ASSERT_TRUE(d && p);
    EXPECT_EQ(d->text, p->text);
    EXPECT_EQ(d->completion_tokens, p->completion_tokens);
    EXPECT_EQ(d->finish, p->finish);
    EXPECT_EQ(p->draft_tokens, 0);
    EXPECT_GT(d->draft_tokens, 0);
    EXPECT_GT(d->accepted_draft_tokens, 0) << d->text;
    EXPECT_LE(d->accepted_draft_tokens, d->draft_tokens);
    EXPECT_LT(d->accepted_draft_tokens, d->completion_tokens);
  }
}

// Drafts of several sequences share a batch with prompt chunks of others; every request ends
// within its budget, and what was kept is no more than what was drafted.
TEST_F(EngineTest, DraftsOfSeveralSequencesInOneBatchAllComplete) {
  EngineOptions o = options(2048, 3);
  o.draft_tokens = 8;
  o.batch_size = 16;  // small enough that drafts and prompt chunks compete for room
  Engine drafting(o);
  std::vector<std::future<Result<GenerateResult>>> futures;
  for (int i = 0; i < 4; ++i)
    futures.push_back(drafting.submit(
        i % 2 == 0 ? quote_the_code(40 + i) : about_the_file("Which loop is there?", ""), {}));
  int accepted = 0;
  for (auto& f : futures) {
    auto r = f.get();
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_FALSE(r->text.empty());
    EXPECT_LE(r->accepted_draft_tokens, r->draft_tokens);
    EXPECT_LE(r->completion_tokens, 43);
    accepted += r->accepted_draft_tokens;
  }
  EXPECT_GT(accepted, 0);
}

// A schema-constrained reply through drafts: the grammar is advanced only by the tokens kept.
TEST_F(EngineTest, DraftsKeepASchemaConstrainedReplyIdentical) {
  Engine plain(options(2048, 1));
  EngineOptions o = options(2048, 1);
  o.draft_tokens = 8;
  Engine drafting(o);
  auto d = drafting.submit(ask_questions(2), {}).get();
  auto p = plain.submit(ask_questions(2), {}).get();
  ASSERT_TRUE(d && p);
  EXPECT_EQ(d->text, p->text);
  EXPECT_TRUE(validate_json(nlohmann::json::parse(d->text), questions_schema(2)).empty())
      << d->text;
}

}  // namespace
}  // namespace g2d::llm::llama
