#include "llm/llama/llama_backend.hpp"

namespace g2d::llm::llama {

namespace {

class LlamaBackend final : public Backend {
 public:
  explicit LlamaBackend(EngineOptions options) : m_engine(std::move(options)) {}

  std::string_view name() const override { return "llama_cpp"; }
  Result<ModelInfo> model_info() override { return m_engine.info(); }
  Result<int> count_tokens(std::string_view text) override { return m_engine.count_tokens(text); }
  Result<GenerateResult> generate(const GenerateRequest& request, std::stop_token stop) override {
    return m_engine.submit(request, std::move(stop)).get();
  }
  void unload() override { m_engine.unload(); }

 private:
  Engine m_engine;
};

}  // namespace

std::unique_ptr<Backend> make_llama_backend(EngineOptions options) {
  return std::make_unique<LlamaBackend>(std::move(options));
}

}  // namespace g2d::llm::llama
