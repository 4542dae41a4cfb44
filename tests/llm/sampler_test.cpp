// The engine's sampler (llm/llama/sampler.cpp) on the real tiny model: a draw checked against the
// schema's grammar afterwards picks, at temperature 0, exactly what grammar-first greedy decoding
// picks, token for token, including the draws the grammar rejected.
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <llama-cpp.h>
#include <nlohmann/json.hpp>

#include "llm/json_schema.hpp"
#include "llm/llama/engine_internal.hpp"
#include "llm/llama/model.hpp"
#include "support.hpp"

namespace g2d::llm::llama {
namespace {

nlohmann::json two_questions_schema() {
  return nlohmann::json::parse(R"({"type": "object", "properties": {"questions": {
      "type": "array", "minItems": 2, "maxItems": 2,
      "items": {"type": "string", "pattern": "^[A-Z][^`?\\n]{2,40}`[a-z_]{1,20}`[^?\\n]{0,40}\\?$"}}},
      "required": ["questions"]})");
}

// Greedy decoding of `prompt` for at most `steps` tokens, each token picked by `pick`.
template <class Pick>
std::vector<llama_token> decode(llama_context* ctx, const LoadedModel& model,
                                std::vector<llama_token> prompt, int steps, Pick pick) {
  llama_memory_clear(llama_get_memory(ctx), true);
  std::vector<llama_token> out;
  if (llama_decode(ctx, llama_batch_get_one(prompt.data(), static_cast<int>(prompt.size()))) != 0)
    return out;
  for (int i = 0; i < steps; ++i) {
    llama_token token = pick(ctx);
    if (llama_vocab_is_eog(model.vocab, token))
      break;
    out.push_back(token);
    if (llama_decode(ctx, llama_batch_get_one(&out.back(), 1)) != 0)
      break;
  }
  return out;
}

TEST(Sampler, AGrammarCheckedDrawPicksWhatGrammarFirstGreedyDecodingPicks) {
  if (test::tiny_model_path().empty())
    GTEST_SKIP() << "tiny model not installed; run scripts/setup.sh";
  auto model = load_model(test::tiny_model_path(), 0);
  ASSERT_TRUE(model) << model.error().describe();
  llama_context_params params = llama_context_default_params();
  params.n_ctx = 1024;
  params.n_batch = 1024;
  params.n_threads = 1;
  params.n_threads_batch = 1;
  params.no_perf = true;
  llama_context_ptr ctx(llama_init_from_model(model->model.get(), params));
  ASSERT_NE(ctx, nullptr);

  GenerateRequest request;
  request.messages = {{Role::user,
                       "int add(int a, int b) { return a + b; }\n\nWrite two "
                       "questions about this code. Reply with JSON."}};
  request.json_schema = two_questions_schema();
  request.temperature = 0;
  auto prompt = tokenize_chat(*model, request.messages);
  ASSERT_TRUE(prompt) << prompt.error().describe();
  constexpr int k_steps = 60;

  auto grammar = json_schema_to_gbnf(*request.json_schema);
  ASSERT_TRUE(grammar) << grammar.error().describe();
  llama_sampler_ptr first(llama_sampler_chain_init(llama_sampler_chain_default_params()));
  llama_sampler_chain_add(first.get(),
                          llama_sampler_init_grammar(model->vocab, grammar->c_str(), "root"));
  llama_sampler_chain_add(first.get(), llama_sampler_init_greedy());
  auto expected = decode(ctx.get(), *model, *prompt, k_steps, [&](llama_context* c) {
    return llama_sampler_sample(first.get(), c, -1);
  });

  auto sampler = Sampler::make(*model, request);
  ASSERT_TRUE(sampler) << sampler.error().describe();
  auto got = decode(ctx.get(), *model, *prompt, k_steps,
                    [&](llama_context* c) { return sampler->sample(c, -1); });
  ASSERT_GE(expected.size(), 10u);
  EXPECT_EQ(got, expected);
  // The test covers both paths: draws the grammar took, and draws it refused and made again.
  EXPECT_GT(sampler->redraws(), 0);
  EXPECT_LT(sampler->redraws(), static_cast<int>(got.size()));
}

}  // namespace
}  // namespace g2d::llm::llama
