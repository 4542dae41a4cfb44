// One request's sampling (engine_internal.hpp: Sampler): a draw from the full distribution,
// checked against the schema's grammar afterwards. Thread-safety: one sequence's. Errors:
// json_schema_to_gbnf's invalid_argument; internal when llama.cpp rejects the grammar.
#include <cmath>

#include "llm/json_schema.hpp"
#include "llm/llama/engine_internal.hpp"

namespace g2d::llm::llama {

Result<Sampler> Sampler::make(const LoadedModel& model, const GenerateRequest& request) {
  Sampler s;
  s.m_vocab = model.vocab;
  if (request.json_schema) {
    auto grammar = json_schema_to_gbnf(*request.json_schema);
    if (!grammar)
      return tl::unexpected(grammar.error());
    s.m_grammar.reset(llama_sampler_init_grammar(model.vocab, grammar->c_str(), "root"));
    if (!s.m_grammar) {
      return fail(ErrorKind::internal, "llama.cpp rejected the grammar built from the schema");
    }
  }
  s.m_draw.reset(llama_sampler_chain_init(llama_sampler_chain_default_params()));
  llama_sampler* chain = s.m_draw.get();
  if (request.temperature <= 0.0) {
    llama_sampler_chain_add(chain, llama_sampler_init_greedy());
  } else {
    llama_sampler_chain_add(chain, llama_sampler_init_top_k(40));
    llama_sampler_chain_add(chain, llama_sampler_init_top_p(0.95F, 1));
    llama_sampler_chain_add(chain,
                            llama_sampler_init_temp(static_cast<float>(request.temperature)));
    llama_sampler_chain_add(chain, llama_sampler_init_dist(request.seed));
  }
  return s;
}

llama_token Sampler::sample(llama_context* ctx, int index) {
  const float* logits = llama_get_logits_ith(ctx, index);
  const int n_vocab = llama_vocab_n_tokens(m_vocab);
  auto candidates = [&] {
    m_candidates.resize(static_cast<size_t>(n_vocab));
    for (llama_token id = 0; id < n_vocab; ++id)
      m_candidates[static_cast<size_t>(id)] = {id, logits[id], 0.0F};
    return llama_token_data_array{m_candidates.data(), m_candidates.size(), -1, false};
  };
  llama_token_data_array all = candidates();
  llama_sampler_apply(m_draw.get(), &all);
  llama_token token = all.data[all.selected].id;
  if (m_grammar) {
    llama_token_data drawn{token, 1.0F, 0.0F};
    llama_token_data_array one{&drawn, 1, -1, false};
    llama_sampler_apply(m_grammar.get(), &one);
    if (std::isinf(drawn.logit) && drawn.logit < 0) {  // refused: draw again from what it allows
      ++m_redraws;
      all = candidates();
      llama_sampler_apply(m_grammar.get(), &all);
      llama_sampler_apply(m_draw.get(), &all);
      token = all.data[all.selected].id;
    }
    llama_sampler_accept(m_grammar.get(), token);
  }
  llama_sampler_accept(m_draw.get(), token);
  return token;
}

}  // namespace g2d::llm::llama
