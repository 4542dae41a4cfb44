// Continuous batching: admitting waiting jobs into free sequences while their prompt and token
// budget fit the free KV space (so the cache is never over-committed), and one llama_decode per
// step over the next token of every generating sequence and chunks of newly admitted prompts,
// sampling each sequence's token and answering the ones that end. Thread-safety: worker thread
// only; m_pending is taken under m_mutex. Errors: each job's promise gets its own (cancelled,
// invalid_argument, context_overflow, loading's, the sampler's; internal when llama_decode fails).
#include <algorithm>
#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/utf8.hpp"
#include "llm/llama/engine_internal.hpp"
#include "llm/llama/model.hpp"
#include "llm/prompt_lookup.hpp"

namespace g2d::llm::llama {

namespace {

// Drops an incomplete UTF-8 sequence at the end (a generation cut off by its token budget).
void trim_partial_utf8(std::string& s) {
  s.resize(utf8_complete_length(s));
}

}  // namespace

void Engine::Worker::admit() {
  answer_cancelled_jobs();
  if (m_unload_pending)
    return;  // no new work until the model is freed
  for (;;) {
    Job job;
    {
      std::lock_guard lock(m_mutex);
      if (m_pending.empty() || (m_model && m_free_ids.empty()))
        return;
      job = std::move(m_pending.front());
      m_pending.pop_front();
    }
    bool handed_over = false;  // the job's promise now belongs to a running sequence
    try {
      if (job.stop.stop_requested()) {
        job.promise.set_value(fail(ErrorKind::cancelled, "cancelled before it started"));
        continue;
      }
      if (job.request.messages.empty()) {
        job.promise.set_value(fail(ErrorKind::invalid_argument, "a request without messages"));
        continue;
      }
      if (auto loaded = ensure_loaded(); !loaded) {
        // The same failure awaits every job queued now: answer them all, load once.
        std::deque<Job> waiting;
        {
          std::lock_guard lock(m_mutex);
          waiting.swap(m_pending);
        }
        job.promise.set_value(tl::unexpected(loaded.error()));
        for (auto& other : waiting)
          other.promise.set_value(tl::unexpected(loaded.error()));
        return;
      }
      if (!job.prompt) {
        auto prompt = tokenize_chat(*m_model, job.request.messages);
        if (!prompt) {
          job.promise.set_value(tl::unexpected(prompt.error()));
          continue;
        }
        job.prompt = std::move(*prompt);
      }
      int n_prompt = static_cast<int>(job.prompt->size());
      if (n_prompt >= m_ctx_seq) {
        job.promise.set_value(fail(ErrorKind::context_overflow,
                                   "the prompt is {} tokens; the context window is {} tokens per "
                                   "request (llm.context_window)",
                                   n_prompt, m_ctx_seq));
        continue;
      }
      int budget = std::min(std::max(1, job.request.max_tokens), m_ctx_seq - n_prompt);
      // Space is accounted as if nothing were shared (shared cells are counted once per user),
      // so the cache is never over-committed; kept prefixes give way to new work.
      int reserve = n_prompt + budget;
      while (m_reserved + m_parked_cells + reserve > m_ctx_total &&
             m_reserved + reserve <= m_ctx_total && !m_parked.empty())
        evict_parked(oldest_parked());
      if (m_free_ids.empty() || m_reserved + m_parked_cells + reserve > m_ctx_total) {
        std::lock_guard lock(m_mutex);
        m_pending.push_front(std::move(job));
        return;
      }
      auto sampler = Sampler::make(*m_model, job.request);
      if (!sampler) {
        job.promise.set_value(tl::unexpected(sampler.error()));
        continue;
      }
      auto seq = std::make_unique<Sequence>();
      seq->id = m_free_ids.back();
      m_free_ids.pop_back();
      seq->prompt = std::move(*job.prompt);
      seq->job = std::move(job);
      handed_over = true;
      seq->budget = budget;
      seq->reserved = reserve;
      seq->sampler = std::move(*sampler);
      seq->result.prompt_tokens = n_prompt;
      if (m_options.draft_tokens > 0)
        seq->history = seq->prompt;
      m_reserved += reserve;
      m_active.push_back(std::move(seq));  // from here on, the loop's handler answers it
      share_prefix(*m_active.back());
    } catch (const std::exception& e) {
      if (handed_over)
        throw;  // the loop's handler answers the running sequences
      spdlog::error("llama engine, admitting a request: {}", e.what());
      job.promise.set_value(fail(ErrorKind::internal, "engine: {}", e.what()));
    }
  }
}

void Engine::Worker::answer_cancelled_jobs() {
  std::vector<Job> cancelled;
  {
    std::lock_guard lock(m_mutex);
    for (auto it = m_pending.begin(); it != m_pending.end();) {
      if (it->stop.stop_requested()) {
        cancelled.push_back(std::move(*it));
        it = m_pending.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& job : cancelled) {
    job.promise.set_value(fail(ErrorKind::cancelled, "cancelled before it started"));
  }
}

void Engine::Worker::add_token(llama_batch& batch, llama_token token, llama_pos pos,
                               llama_seq_id seq, bool logits) {
  int i = batch.n_tokens++;
  batch.token[i] = token;
  batch.pos[i] = pos;
  batch.n_seq_id[i] = 1;
  batch.seq_id[i][0] = seq;
  batch.logits[i] = logits ? 1 : 0;
}

void Engine::Worker::step() {
  const long prompt_before = m_totals.prompt_evaluated;
  resolve_waits();
  m_batch.n_tokens = 0;
  int generating = static_cast<int>(
      std::count_if(m_active.begin(), m_active.end(), [](const auto& s) { return s->generating; }));
  for (auto& seq : m_active) {
    seq->batch_index = -1;
    seq->draft.clear();
    if (!seq->generating)
      continue;
    seq->batch_index = m_batch.n_tokens;
    add_token(m_batch, seq->last, seq->n_past, seq->id, true);
    --generating;
    if (m_options.draft_tokens > 0) {
      // Room: the batch keeps a place for every other generating sequence, and the draft plus the
      // token after it stay within the budget (so within the cells reserved at admission).
      int room =
          std::min({m_options.draft_tokens, m_options.batch_size - m_batch.n_tokens - generating,
                    seq->budget - seq->result.completion_tokens - 1});
      if (room > 0)
        seq->draft = draft_from_history(seq->history, static_cast<size_t>(room));
      for (size_t i = 0; i < seq->draft.size(); ++i)
        add_token(m_batch, seq->draft[i], seq->n_past + 1 + static_cast<llama_pos>(i), seq->id,
                  true);
      seq->result.draft_tokens += static_cast<int>(seq->draft.size());
    }
    ++seq->n_past;
  }
  for (auto& seq : m_active) {
    while (!seq->generating && seq->wait_source < 0 && seq->n_evaluated < seq->prompt.size() &&
           m_batch.n_tokens < m_options.batch_size) {
      bool last = seq->n_evaluated + 1 == seq->prompt.size();
      if (last)
        seq->batch_index = m_batch.n_tokens;
      add_token(m_batch, seq->prompt[seq->n_evaluated], static_cast<llama_pos>(seq->n_evaluated),
                seq->id, last);
      ++seq->n_evaluated;
      ++m_totals.prompt_evaluated;
    }
  }
  if (m_batch.n_tokens == 0) {
    // Every sequence waits for another: a wait's source evaluates, so this is a bug; never spin.
    for (auto& seq : m_active)
      seq->wait_source = -1;
    return;
  }
  const auto decode_start = std::chrono::steady_clock::now();
  const int rc = llama_decode(m_ctx.get(), m_batch);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - decode_start).count();
  m_totals.decode_seconds += seconds;
  ++m_totals.steps;
  if (m_totals.prompt_evaluated == prompt_before) {
    m_totals.generation_seconds += seconds;
    ++m_totals.generation_steps;
  }
  if (rc != 0) {
    spdlog::error("llama_decode failed (code {}) with {} sequences in flight", rc, m_active.size());
    for (auto& seq : m_active) {
      finish(*seq, fail(ErrorKind::internal, "llama_decode failed (code {})", rc));
    }
    m_active.clear();
    return;
  }
  for (auto& seq : m_active) {
    if (seq->job.stop.stop_requested()) {
      finish(*seq, fail(ErrorKind::cancelled, "generation cancelled"));
      continue;
    }
    if (seq->batch_index < 0)
      continue;
    if (!seq->generating) {
      seq->generating = true;
      seq->n_past = static_cast<llama_pos>(seq->prompt.size());
    }
    take_tokens(*seq);
  }
  std::erase_if(m_active, [](const auto& seq) { return seq->done; });
}

void Engine::Worker::take_tokens(Sequence& seq) {
  size_t accepted = 0;
  for (;;) {
    llama_token token =
        seq.sampler->sample(m_ctx.get(), seq.batch_index + static_cast<int>(accepted));
    if (!take_token(seq, token))
      return;  // finished: its cells are gone
    if (accepted < seq.draft.size() && token == seq.draft[accepted]) {
      // The draft token at this position is what was sampled: it is in the cache already, and
      // the batch holds the logits after it.
      ++accepted;
      ++seq.n_past;
      continue;
    }
    break;
  }
  seq.result.accepted_draft_tokens += static_cast<int>(accepted);
  if (accepted < seq.draft.size())  // the cells of the drafts after the first disagreement
    llama_memory_seq_rm(llama_get_memory(m_ctx.get()), seq.id, seq.n_past, -1);
}

bool Engine::Worker::take_token(Sequence& seq, llama_token token) {
  if (llama_vocab_is_eog(m_model->vocab, token)) {
    seq.result.finish = FinishReason::stop;
    finish(seq, std::move(seq.result));
    return false;
  }
  seq.result.text += token_piece(m_model->vocab, token);
  seq.last = token;
  ++seq.result.completion_tokens;
  ++m_totals.generated;
  if (m_options.draft_tokens > 0)
    seq.history.push_back(token);
  // A loop is cut, in a schema-constrained reply too: its caller reads what the cut JSON completed.
  if (seq.loop_watch.looping(seq.result.text)) {
    seq.result.finish = FinishReason::loop;
    seq.result.text = without_loop(seq.result.text);
    finish(seq, std::move(seq.result));
    return false;
  }
  if (seq.result.completion_tokens >= seq.budget) {
    seq.result.finish = FinishReason::length;
    trim_partial_utf8(seq.result.text);
    finish(seq, std::move(seq.result));
    return false;
  }
  return true;
}

void Engine::Worker::finish(Sequence& seq, Result<GenerateResult> result) {
  if (seq.done)
    return;  // already answered (an exception after it finished)
  m_reserved -= seq.reserved;
  if (m_ctx && result)
    park(seq);
  if (m_ctx)
    llama_memory_seq_rm(llama_get_memory(m_ctx.get()), seq.id, -1, -1);
  m_free_ids.push_back(seq.id);
  seq.done = true;
  // Those waiting for its prompt share what is left (its kept prefix, another sequence) or
  // evaluate theirs: its id goes to the next sequence admitted.
  for (auto& other : m_active) {
    if (other->wait_source != seq.id || other->done)
      continue;
    other->wait_source = -1;
    if (m_ctx)
      share_prefix(*other);
  }
  seq.job.promise.set_value(std::move(result));
}

}  // namespace g2d::llm::llama
