// Prefix sharing: a newly admitted sequence starts from the longest prompt prefix it has in common
// with a running sequence or a kept one, whose KV cells are copied to it (shared, in the unified
// cache); a finished request with a prefix_key keeps its prompt under a parking sequence id, one
// per key, least recently used first out, while the running work leaves room. Thread-safety:
// worker thread only. Errors: none (a prefix that cannot be kept is simply not kept).
#include <algorithm>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "llm/llama/engine_internal.hpp"

namespace g2d::llm::llama {

namespace {

// Fewer shared tokens than this are not worth a copy.
constexpr size_t k_min_shared_tokens = 16;

size_t common_prefix(const std::vector<llama_token>& a, size_t a_len,
                     const std::vector<llama_token>& b) {
  size_t n = std::min(a_len, b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i])
    ++i;
  return i;
}

}  // namespace

void Engine::Worker::share_prefix(Sequence& seq) {
  if (!m_can_share || seq.prompt.size() <= k_min_shared_tokens)
    return;
  // From the cells it has on (none when just admitted): every source's cells before them hold the
  // same tokens.
  size_t best = seq.n_evaluated;
  llama_seq_id source = -1;
  Parked* parked_source = nullptr;
  for (const auto& other : m_active) {
    if (other->done || other.get() == &seq)
      continue;
    size_t n = common_prefix(other->prompt, other->n_evaluated, seq.prompt);
    if (n > best) {
      best = n;
      source = other->id;
      parked_source = nullptr;
    }
  }
  for (auto& p : m_parked) {
    size_t n = common_prefix(p.tokens, p.tokens.size(), seq.prompt);
    if (n > best) {
      best = n;
      source = p.id;
      parked_source = &p;
    }
  }
  best = std::min(best, seq.prompt.size() - 1);
  if (best >= seq.n_evaluated + k_min_shared_tokens && source >= 0) {
    if (parked_source != nullptr)
      parked_source->last_used = ++m_clock;
    llama_memory_seq_cp(llama_get_memory(m_ctx.get()), source, seq.id,
                        static_cast<llama_pos>(seq.n_evaluated), static_cast<llama_pos>(best));
    m_totals.prompt_reused += static_cast<long>(best - seq.n_evaluated);
    seq.n_evaluated = best;
    seq.result.cached_prompt_tokens = static_cast<int>(best);
  }
  // A sequence admitted with this one (a file's answers arrive together) may share more of its
  // prompt than it has evaluated yet: wait for it rather than evaluate the same tokens twice.
  size_t longest = seq.n_evaluated;
  for (const auto& other : m_active) {
    if (other.get() == &seq || other->generating || other->done)
      continue;
    size_t n = std::min(common_prefix(other->prompt, other->prompt.size(), seq.prompt),
                        seq.prompt.size() - 1);
    if (n >= seq.n_evaluated + k_min_shared_tokens && n > longest) {
      longest = n;
      seq.wait_source = other->id;
      seq.wait_until = n;
    }
  }
}

void Engine::Worker::resolve_waits() {
  for (auto& seq : m_active) {
    if (seq->wait_source < 0)
      continue;
    auto source = std::find_if(m_active.begin(), m_active.end(), [&](const auto& other) {
      return other->id == seq->wait_source && !other->done;
    });
    if (source == m_active.end()) {  // (finish() ends the waits for a sequence)
      seq->wait_source = -1;
      continue;
    }
    // Every token counted in n_evaluated was decoded by an earlier step.
    if ((*source)->n_evaluated < seq->wait_until)
      continue;
    // Its cells before n_evaluated came from the same tokens (a kept prefix both copied).
    llama_memory_seq_cp(llama_get_memory(m_ctx.get()), seq->wait_source, seq->id,
                        static_cast<llama_pos>(seq->n_evaluated),
                        static_cast<llama_pos>(seq->wait_until));
    m_totals.prompt_reused += static_cast<long>(seq->wait_until - seq->n_evaluated);
    seq->n_evaluated = seq->wait_until;
    seq->result.cached_prompt_tokens = static_cast<int>(seq->wait_until);
    seq->wait_source = -1;
  }
}

void Engine::Worker::park(Sequence& seq) {
  const std::string& key = seq.job.request.prefix_key;
  if (!m_can_share || key.empty() || (m_free_park_ids.empty() && m_parked.empty()) ||
      seq.n_evaluated < seq.prompt.size() || seq.prompt.size() <= k_min_shared_tokens)
    return;
  for (size_t i = 0; i < m_parked.size(); ++i) {
    if (m_parked[i].key == key) {
      evict_parked(i);  // the newer prompt of the same file replaces it
      break;
    }
  }
  if (m_free_park_ids.empty())
    evict_parked(oldest_parked());
  auto cells = static_cast<int>(seq.prompt.size());
  if (m_reserved + m_parked_cells + cells > m_ctx_total)
    return;  // the running work needs the room more
  Parked p;
  p.id = m_free_park_ids.back();
  m_free_park_ids.pop_back();
  p.key = key;
  p.tokens = seq.prompt;
  p.last_used = ++m_clock;
  llama_memory_seq_cp(llama_get_memory(m_ctx.get()), seq.id, p.id, 0,
                      static_cast<llama_pos>(seq.prompt.size()));
  m_parked_cells += cells;
  m_parked.push_back(std::move(p));
}

size_t Engine::Worker::oldest_parked() const {
  size_t oldest = 0;
  for (size_t i = 1; i < m_parked.size(); ++i)
    if (m_parked[i].last_used < m_parked[oldest].last_used)
      oldest = i;
  return oldest;
}

void Engine::Worker::evict_parked(size_t index) {
  Parked& p = m_parked[index];
  llama_memory_seq_rm(llama_get_memory(m_ctx.get()), p.id, -1, -1);
  m_parked_cells -= static_cast<int>(p.tokens.size());
  m_free_park_ids.push_back(p.id);
  m_parked.erase(m_parked.begin() + static_cast<std::ptrdiff_t>(index));
}

}  // namespace g2d::llm::llama
