// llm/prompt_lookup.hpp — drafts for prompt-lookup speculative decoding: the tokens that followed
// the latest earlier occurrence of a sequence's last few tokens. An answer about code quotes the
// code's identifiers and lines, so what came after the same tokens in the prompt is often what
// comes next; the engine verifies a draft in one decode and keeps the tokens its sampler agrees
// with, so the output is what plain decoding would give.
//
// Thread-safety: pure function. Errors: none (no match is an empty draft).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace g2d::llm {

// Up to `max_tokens` tokens that followed the latest earlier occurrence of the history's last
// 3 tokens, else of its last 2 (a single token matches too often to be worth verifying); empty
// when neither occurred before. The draft stops where the history ends.
std::vector<std::int32_t> draft_from_history(std::span<const std::int32_t> history,
                                             size_t max_tokens);

}  // namespace g2d::llm
