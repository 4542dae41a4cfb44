#include "chunk/chunk.hpp"

#include <cstdint>
#include <limits>
#include <memory>
#include <tree_sitter/api.h>

#include "chunk/packer.hpp"
#include "chunk/syntax.hpp"

namespace g2d::chunk {
namespace {

struct ParserDeleter {
  void operator()(TSParser* parser) const { ts_parser_delete(parser); }
};
struct TreeDeleter {
  void operator()(TSTree* tree) const { ts_tree_delete(tree); }
};
using ParserPtr = std::unique_ptr<TSParser, ParserDeleter>;
using TreePtr = std::unique_ptr<TSTree, TreeDeleter>;

// The first grammar that parses the text without errors, else the first that parses it at all;
// null when none does (no grammar, a text too large for tree-sitter's 32-bit offsets).
TreePtr parse(std::string_view language, std::string_view text) {
  if (text.size() >= std::numeric_limits<uint32_t>::max())
    return nullptr;
  ParserPtr parser(ts_parser_new());
  TreePtr fallback;
  for (const TSLanguage* grammar : languages_for(language)) {
    if (!ts_parser_set_language(parser.get(), grammar))
      continue;  // an ABI the runtime does not read: pinned together, so not expected
    TreePtr tree(ts_parser_parse_string(parser.get(), nullptr, text.data(),
                                        static_cast<uint32_t>(text.size())));
    if (!tree)
      continue;
    if (!ts_node_has_error(ts_tree_root_node(tree.get())))
      return tree;
    if (!fallback)
      fallback = std::move(tree);
  }
  return fallback;
}

}  // namespace

bool has_grammar(std::string_view language) {
  return !languages_for(language).empty();
}

Result<std::vector<Chunk>> split(std::string_view language, std::string_view text, int budget,
                                 const TokenCounter& count) {
  if (budget < 1)
    return fail(ErrorKind::invalid_argument, "chunk: the token budget must be at least 1, not {}",
                budget);
  if (text.empty())
    return std::vector<Chunk>{};
  Lines lines(text);
  const int last = lines.count() - 1;
  auto whole = count(text);
  if (!whole)
    return tl::unexpected(whole.error());
  if (*whole <= budget)
    return std::vector<Chunk>{Chunk{1, last + 1, "", std::string(text)}};

  Packer packer(lines, budget, count);
  // Parse errors only make ERROR nodes, which are split like any leaf: no text is lost. A tree
  // with no named children at the top has nothing to split at.
  TreePtr tree = parse(language, text);
  std::vector<Unit> units;
  if (tree)
    units = units_of(ts_tree_root_node(tree.get()), 0, last);
  Status done = units.empty() ? packer.split_textual(0, last, "") : packer.pack(units, "");
  if (!done)
    return tl::unexpected(done.error());
  return packer.take();
}

}  // namespace g2d::chunk
