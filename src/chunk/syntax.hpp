// chunk/syntax.hpp — internal to g2d_chunk: what the grammars know. Which tree-sitter languages
// parse a language name; which nodes are containers (their body, and the scope they add); and a
// node's children as units: named children on shared lines merged, leading comments attached to
// the definition below them, and the lines between them given to the next unit so that the units
// partition the range exactly.
//
// Thread-safety: the languages are immutable statics; everything else is a pure function.
#pragma once

#include <string>
#include <string_view>
#include <tree_sitter/api.h>
#include <vector>

#include "chunk/packer.hpp"

namespace g2d::chunk {

// The grammars to try for a language, best first; empty when it has none.
std::vector<const TSLanguage*> languages_for(std::string_view language);

// A container's body: the node whose named children are its members; a null node when `node` is
// no container (or one without a body, like `class A;`).
TSNode body_of(TSNode node);
// The scope a container adds: "class Parser", "impl Display for Foo", "namespace net"; "" for a
// preprocessor conditional, which adds none.
std::string describe(TSNode container, std::string_view source);

// The named children of `parent` as units partitioning lines first..last (empty when it has none).
std::vector<Unit> units_of(TSNode parent, int first, int last);

}  // namespace g2d::chunk
