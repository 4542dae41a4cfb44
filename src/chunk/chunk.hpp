// chunk/chunk.hpp — a source file too large for one prompt, split into chunks that each fit a
// token budget, cut where the code's structure allows: between definitions.
//
// With a grammar (tree-sitter; see has_grammar), the file's top-level definitions are units,
// packed greedily into chunks. A comment (or a Rust attribute, a TypeScript decorator) directly
// above a definition goes with it. A unit over the budget that is a container — a class, struct,
// namespace, impl, trait, module, interface, Go type or const/var group, or a preprocessor
// conditional — is split into its members the same way, and its chunks' scope names it ("namespace
// net > class Parser"); its header and closing lines go into its first and last chunks. A unit
// over the budget that is no container (a huge function), a file in a language without a grammar,
// and a file the parser cannot make sense of are split textually: at blank lines, then at line
// ends, and a single line over the budget at UTF-8 character boundaries.
//
// Invariants: chunks are contiguous and in order, and concatenating their texts gives back the
// input exactly. Every chunk holds whole lines, except the pieces of a single line over the budget:
// those have line_start == line_end and split that line. Each chunk counts at most `budget` tokens.
//
// Cost: the counter sees each unit once per nesting level, each packed chunk once more to verify
// it (token counts of concatenations are only near-additive), and never the whole file per unit.
//
// Ownership: results are owned values copied from the input. Thread-safety: split may run on many
// threads at once (each call has its own parser); `count` must be safe to call from the calling
// thread. Errors: budget < 1 is invalid_argument; a counter error is returned as it is; one UTF-8
// character that alone counts more than the budget is invalid_argument.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace g2d::chunk {

struct Chunk {
  int line_start = 1;  // 1-based, inclusive, in the original text
  int line_end = 1;
  std::string scope;  // enclosing definitions, outermost first ("namespace a > class B"); "" at top
  std::string text;   // exactly the original bytes of those lines
};

// The number of tokens in a text (the model's tokenizer, or a stand-in in tests).
using TokenCounter = std::function<Result<int>(std::string_view)>;

// Whether `language` (the names src/discover gives) has a grammar: "c", "cpp", "python",
// "javascript", "typescript" (also parses TSX), "tsx", "go", "rust", "java". A C header that
// only parses as C++, and TypeScript that only parses as TSX, are parsed with the grammar that
// fits.
bool has_grammar(std::string_view language);

// Splits `text` into chunks of at most `budget` tokens each, as above. A text that fits is one
// chunk (all its lines, scope ""); an empty text is no chunks.
Result<std::vector<Chunk>> split(std::string_view language, std::string_view text, int budget,
                                 const TokenCounter& count);

}  // namespace g2d::chunk
