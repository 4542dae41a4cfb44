// The sampler chain of one request, built when it is admitted: the GBNF grammar of its JSON schema
// first (so only tokens the grammar allows remain), then greedy decoding at temperature 0, or
// top-k 40, top-p 0.95, the temperature and a draw seeded with the request's seed. Thread-safety:
// reentrant (the vocabulary is read-only). Errors: json_schema_to_gbnf's invalid_argument;
// internal when llama.cpp rejects the grammar.
#include "llm/json_schema.hpp"
#include "llm/llama/engine_internal.hpp"

namespace g2d::llm::llama {

Result<llama_sampler_ptr> make_sampler(const LoadedModel& model, const GenerateRequest& request) {
  llama_sampler_ptr chain(llama_sampler_chain_init(llama_sampler_chain_default_params()));
  if (request.json_schema) {
    auto grammar = json_schema_to_gbnf(*request.json_schema);
    if (!grammar)
      return tl::unexpected(grammar.error());
    llama_sampler* g = llama_sampler_init_grammar(model.vocab, grammar->c_str(), "root");
    if (g == nullptr) {
      return fail(ErrorKind::internal, "llama.cpp rejected the grammar built from the schema");
    }
    llama_sampler_chain_add(chain.get(), g);
  }
  if (request.temperature <= 0.0) {
    llama_sampler_chain_add(chain.get(), llama_sampler_init_greedy());
  } else {
    llama_sampler_chain_add(chain.get(), llama_sampler_init_top_k(40));
    llama_sampler_chain_add(chain.get(), llama_sampler_init_top_p(0.95F, 1));
    llama_sampler_chain_add(chain.get(),
                            llama_sampler_init_temp(static_cast<float>(request.temperature)));
    llama_sampler_chain_add(chain.get(), llama_sampler_init_dist(request.seed));
  }
  return chain;
}

}  // namespace g2d::llm::llama
