// The model and llama_context lifetime: loaded lazily on the first command that needs them, the
// context sized for max_sequences sequences of context_window tokens in a unified KV cache (plus
// parking ids for kept prefixes), and freed by unload, after idle_unload, or when the engine
// stops. Thread-safety: worker thread only. Errors: load_model's (model_missing, model_invalid);
// config when the context would be too large; unavailable when llama.cpp cannot create it.
#include <algorithm>
#include <cstdint>
#include <limits>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "llm/llama/engine_internal.hpp"
#include "llm/llama/model.hpp"

namespace g2d::llm::llama {

Status Engine::Worker::ensure_loaded() {
  if (m_model)
    return {};
  auto model = load_model(m_options.model, m_options.gpu_layers);
  if (!model)
    return tl::unexpected(model.error());
  int ctx_seq = m_options.context_window > 0 ? m_options.context_window : model->trained_context;
  if (ctx_seq <= 0)
    ctx_seq = 4096;
  if (model->trained_context > 0 && ctx_seq > model->trained_context) {
    spdlog::warn("llm.context_window {} exceeds what {} was trained for ({})", ctx_seq, model->name,
                 model->trained_context);
  }
  const std::int64_t total = static_cast<std::int64_t>(ctx_seq) * m_options.max_sequences;
  if (total > std::numeric_limits<int32_t>::max()) {
    return fail(ErrorKind::config,
                "a context of {} tokens x {} sequences is too large (llm.context_window, "
                "pipeline.max_concurrent_files)",
                ctx_seq, m_options.max_sequences);
  }
  llama_context_params params = llama_context_default_params();
  params.n_ctx = static_cast<uint32_t>(total);
  params.n_batch = static_cast<uint32_t>(m_options.batch_size);
  params.n_ubatch = static_cast<uint32_t>(m_options.batch_size);
  // Ids [0, max_sequences) run generations; the ones after them keep prefixes, as many as
  // llama.cpp's sequence limit leaves (none when max_sequences takes it all).
  const int seq_limit = static_cast<int>(llama_max_parallel_sequences());
  const int parking =
      std::max(0, std::min(m_options.max_sequences, seq_limit - m_options.max_sequences));
  params.n_seq_max = static_cast<uint32_t>(m_options.max_sequences + parking);
  params.kv_unified = true;
  params.no_perf = true;
  int threads = m_options.threads > 0 ? m_options.threads
                                      : static_cast<int>(std::thread::hardware_concurrency());
  params.n_threads = std::max(1, threads);
  params.n_threads_batch = params.n_threads;
  llama_context_ptr ctx(llama_init_from_model(model->model.get(), params));
  if (!ctx) {
    return fail(ErrorKind::unavailable,
                "llama.cpp cannot create a context of {} tokens for {} (out of memory?)",
                params.n_ctx, model->name);
  }
  m_ctx_seq = ctx_seq;
  m_ctx_total = static_cast<int>(params.n_ctx);
  m_batch = llama_batch_init(m_options.batch_size, 0, 1);
  m_free_ids.clear();
  for (int i = m_options.max_sequences - 1; i >= 0; --i)
    m_free_ids.push_back(i);
  m_free_park_ids.clear();
  for (int i = m_options.max_sequences + parking - 1; i >= m_options.max_sequences; --i)
    m_free_park_ids.push_back(i);
  // Copying a prefix's cells is exact only for plain attention: sliding-window layers reuse
  // cells that fell out of a sequence's window, and recurrent state cannot be cut at a
  // position. Such models evaluate every prompt in full.
  m_can_share = m_options.share_prefixes && llama_model_n_swa(model->model.get()) == 0 &&
                !llama_model_is_recurrent(model->model.get()) &&
                !llama_model_is_hybrid(model->model.get());
  if (m_options.share_prefixes && !m_can_share)
    spdlog::info("{}: prefix sharing off (sliding-window or recurrent layers)", model->name);
  m_parked.clear();
  m_parked_cells = 0;
  m_model = std::move(*model);
  m_ctx = std::move(ctx);
  m_loaded = true;
  spdlog::info("loaded {} ({} tokens per request, {} in parallel, {} thread{}{})", m_model->name,
               m_ctx_seq, m_options.max_sequences, params.n_threads,
               params.n_threads == 1 ? "" : "s",
               m_options.draft_tokens > 0
                   ? fmt::format(", {}-token prompt-lookup drafts", m_options.draft_tokens)
                   : "");
  return {};
}

void Engine::Worker::free_model() {
  if (!m_model)
    return;
  m_parked.clear();
  m_parked_cells = 0;
  m_ctx.reset();
  llama_batch_free(m_batch);
  m_batch = {};
  m_model.reset();
  m_loaded = false;
  const Totals& t = m_totals;
  spdlog::info(
      "model unloaded; since loading: {} prompt tokens evaluated and {} reused, {} generated, in "
      "{} steps of {:.1f} s ({} steps of {:.1f} s generating only)",
      t.prompt_evaluated, t.prompt_reused, t.generated, t.steps, t.decode_seconds,
      t.generation_steps, t.generation_seconds);
  m_totals = {};
}

}  // namespace g2d::llm::llama
