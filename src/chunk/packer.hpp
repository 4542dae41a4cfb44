// chunk/packer.hpp — internal to g2d_chunk: the line table, the unit a chunk is packed from, and
// the packer that turns units into chunks within the budget (greedy, verified), splitting an
// oversize unit into members (containers) or textually (blank lines, lines, UTF-8 characters).
//
// Thread-safety: a Packer belongs to one split() call.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <tree_sitter/api.h>
#include <vector>

#include "chunk/chunk.hpp"

namespace g2d::chunk {

// The text's lines: each ends after its '\n' (a "\r\n" stays inside its line), the last may have
// none. An empty text has no lines.
class Lines {
 public:
  explicit Lines(std::string_view text);

  int count() const { return static_cast<int>(m_starts.size()) - 1; }
  std::size_t begin(int line) const { return m_starts[static_cast<std::size_t>(line)]; }
  std::size_t end(int line) const { return m_starts[static_cast<std::size_t>(line) + 1]; }
  // Lines first..last, inclusive.
  std::string_view text(int first, int last) const {
    return m_text.substr(begin(first), end(last) - begin(first));
  }
  bool blank(int line) const;  // only whitespace
  std::string_view source() const { return m_text; }

 private:
  std::string_view m_text;
  std::vector<std::size_t> m_starts;  // line starts, then the text's size
};

// How a unit over the budget is split.
enum class Level {
  definition,  // a syntax node: into its members when it is a container, else textually
  paragraph,   // a run of lines ended by blank lines: into lines
  line,        // one line: at UTF-8 character boundaries
};

// Lines first..last (0-based, inclusive) packed as one piece. `container` is the node whose
// members split it (only for Level::definition; a null node when it has none).
struct Unit {
  int first = 0;
  int last = 0;
  Level level = Level::definition;
  TSNode container{};
};

class Packer {
 public:
  Packer(const Lines& lines, int budget, const TokenCounter& count);

  // Packs units that partition a range of lines, in order, under `scope`.
  Status pack(const std::vector<Unit>& units, const std::string& scope);
  // Splits lines first..last at blank lines, then lines, then characters.
  Status split_textual(int first, int last, const std::string& scope);

  std::vector<Chunk> take() { return std::move(m_chunks); }

 private:
  Result<int> count(std::string_view text) const;
  Status oversize(const Unit& unit, const std::string& scope);
  Status emit_group(const Unit* begin, const Unit* end, const std::string& scope);
  Status split_line(int line, const std::string& scope);
  void emit(int first, int last, const std::string& scope);

  const Lines& m_lines;
  int m_budget;
  const TokenCounter& m_count;
  int m_depth = 0;  // containers entered; deep nesting falls back to textual splitting
  std::vector<Chunk> m_chunks;
};

}  // namespace g2d::chunk
