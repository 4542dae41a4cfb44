// The file layer: yaml-cpp nodes → Raw values → the schema's conversion. yaml-cpp marks are
// 0-based; everything reported here is 1-based. yaml-cpp keeps duplicate keys, so they are found
// here (YAML forbids them, and "last one wins" would hide a mistake).
//
// yaml-cpp resolves an alias into the node of its anchor, shared, so a small document can stand
// for an exponential tree (`b: [*a, *a, ...]`, `c: [*b, *b, ...]`, ...) or a cyclic one
// (`a: &a [*a]`), and walking it never ends or exhausts memory. Every document is therefore first
// parsed into events only, counting its values with every alias expanded, and refused past
// k_max_nodes values or k_max_depth levels, or at an alias of a collection still open; only then
// is it loaded and walked.
#include <limits>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include "config/layers.hpp"
#include "config/suggest.hpp"

namespace g2d::config::detail {

namespace {

// A document that went past one of the limits, where it did.
struct OverLimit {
  std::string what;
  YAML::Mark mark;
};

// Counts a document's values as if every alias were replaced by a copy of its anchor's node.
// Throws OverLimit from inside the parser as soon as a limit is passed, so nothing beyond that
// point is read.
class Bounds final : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnAnchor(const YAML::Mark&, const std::string& name) override { m_anchor_name = name; }
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { leaf(mark, anchor); }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string&) override {
    leaf(mark, anchor);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    const Anchor* known = anchor < m_anchors.size() ? &m_anchors[anchor] : nullptr;
    const std::string name = known != nullptr ? known->name : std::string();
    if (known == nullptr || known->size == k_open) {
      throw OverLimit{fmt::format("the alias *{} refers to a collection that contains it (a "
                                  "cycle, which no configuration needs)",
                                  name),
                      mark};
    }
    if (known->size > k_max_nodes - m_total) {
      throw OverLimit{fmt::format("aliases expand the document past {} values (the alias *{} "
                                  "stands for {} values here; a configuration needs a few hundred)",
                                  k_max_nodes, name, known->size),
                      mark};
    }
    m_total += known->size;
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  static constexpr std::size_t k_open = std::numeric_limits<std::size_t>::max();

  struct Anchor {
    std::string name;
    std::size_t size = k_open;  // values it stands for; k_open while its collection is open
  };
  struct Open {
    YAML::anchor_t anchor;
    std::size_t first;  // m_total before the collection itself was counted
  };

  void count_one(const YAML::Mark& mark) {
    if (m_total >= k_max_nodes)
      throw OverLimit{fmt::format("the document holds more than {} values", k_max_nodes), mark};
    ++m_total;
  }
  void remember(YAML::anchor_t anchor, std::size_t size) {
    if (anchor == YAML::NullAnchor)
      return;
    if (m_anchors.size() <= anchor)
      m_anchors.resize(anchor + 1);
    m_anchors[anchor] = Anchor{m_anchor_name, size};
    m_anchor_name.clear();
  }
  void leaf(const YAML::Mark& mark, YAML::anchor_t anchor) {
    count_one(mark);
    remember(anchor, 1);
  }
  void open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (m_open.size() >= static_cast<std::size_t>(k_max_depth)) {
      throw OverLimit{
          fmt::format("nesting deeper than {} levels (a configuration needs 3)", k_max_depth),
          mark};
    }
    m_open.push_back(Open{anchor, m_total});
    count_one(mark);
    remember(anchor, k_open);
  }
  void close() {
    const Open done = m_open.back();
    m_open.pop_back();
    if (done.anchor != YAML::NullAnchor)
      m_anchors[done.anchor].size = m_total - done.first;
  }

  std::size_t m_total = 0;
  std::vector<Anchor> m_anchors;  // by anchor id (yaml-cpp numbers them from 1)
  std::vector<Open> m_open;
  std::string m_anchor_name;
};

// A problem of the document as a whole, where it is (1-based).
struct DocumentProblem {
  std::string what;
  int line = 0;
  int column = 0;
};

DocumentProblem at(std::string what, const YAML::Mark& mark) {
  return DocumentProblem{std::move(what), mark.line + 1, mark.column + 1};
}

// The first document of `text`, loaded only once it is known to stay within the limits.
tl::expected<YAML::Node, DocumentProblem> load_bounded(const std::string& text) {
  try {
    std::istringstream in(text);
    YAML::Parser parser(in);
    Bounds bounds;
    parser.HandleNextDocument(bounds);
    return YAML::Load(text);
  } catch (const OverLimit& e) {
    return tl::unexpected(at(e.what, e.mark));
  } catch (const YAML::DeepRecursion& e) {
    return tl::unexpected(at(fmt::format("nesting deeper than {} levels", e.depth()), e.mark));
  } catch (const YAML::Exception& e) {
    return tl::unexpected(at("YAML syntax error: " + e.msg, e.mark));
  }
}

int line_of(const YAML::Node& node, int fallback) {
  const int line = node.Mark().line;
  return line >= 0 ? line + 1 : fallback;
}

std::string shape_name(const YAML::Node& node) {
  if (node.IsSequence())
    return "a list";
  if (node.IsMap())
    return "a mapping";
  if (node.IsScalar())
    return double_quoted(node.Scalar());
  return "nothing";
}

// A null value's mark points at the next token, so nulls take the line of their key.
Raw from_node(const YAML::Node& node, int key_line) {
  Raw raw;
  raw.line = node.IsNull() ? key_line : line_of(node, key_line);
  if (node.IsScalar()) {
    raw.shape = Raw::Shape::scalar;
    raw.text = node.Scalar();
    raw.quoted = node.Tag() == "!" || node.Tag() == "tag:yaml.org,2002:str";
  } else if (node.IsSequence()) {
    raw.shape = Raw::Shape::sequence;
    for (const auto& item : node)
      raw.items.push_back(from_node(item, raw.line));
  } else if (node.IsMap()) {
    raw.shape = Raw::Shape::mapping;
  }
  return raw;
}

void unknown_section(Layering& layers, const std::string& name, int line) {
  std::string hint;
  if (auto section = closest(name, section_names())) {
    hint = fmt::format("; did you mean {}?", *section);
  } else if (auto key = suggest_key("", name)) {
    hint = fmt::format("; did you mean {}?", *key);
  }
  layers.problems.push_back(
      {name, fmt::format("unknown section (expected {})", fmt::join(section_names(), ", ")),
       fmt::format("line {}", line), hint});
}

void apply_section(Layering& layers, const std::string& section, const YAML::Node& body,
                   const std::string& file_name) {
  std::map<std::string, int> seen;
  for (const auto& entry : body) {
    const int line = line_of(entry.first, 0);
    if (!entry.first.IsScalar()) {
      layers.problems.push_back({section,
                                 "expected a key name, got " + shape_name(entry.first),
                                 fmt::format("line {}", line),
                                 {}});
      continue;
    }
    const std::string& name = entry.first.Scalar();
    const std::string path = section + "." + name;
    if (auto [it, fresh] = seen.emplace(name, line); !fresh) {
      layers.problems.push_back({path,
                                 fmt::format("duplicate key (first at line {})", it->second),
                                 fmt::format("line {}", line),
                                 {}});
      continue;
    }
    const KeySpec* key = find_key(path);
    if (key == nullptr) {
      auto near = suggest_key(section, name);
      layers.problems.push_back({path, "unknown key", fmt::format("line {}", line),
                                 near ? fmt::format("; did you mean {}?", *near) : ""});
      continue;
    }
    auto value = convert(*key, from_node(entry.second, line), false);
    if (!value) {
      layers.reject(value.error());
      continue;
    }
    layers.set(*key, *value, Origin{Source::file, fmt::format("{}:{}", file_name, line)},
               fmt::format("line {}", line));
  }
}

}  // namespace

void apply_yaml(Layering& layers, const std::string& text, const std::string& file_name) {
  auto loaded = load_bounded(text);
  if (!loaded) {
    const DocumentProblem& problem = loaded.error();
    layers.problems.push_back(
        {{}, problem.what, fmt::format("line {}, column {}", problem.line, problem.column), {}});
    return;
  }
  const YAML::Node& root = *loaded;
  if (root.IsNull())
    return;  // empty, or only comments: all defaults
  if (!root.IsMap()) {
    layers.problems.push_back(
        {{},
         fmt::format("expected a mapping of sections ({}) at the top level, got {}",
                     fmt::join(section_names(), ", "), shape_name(root)),
         fmt::format("line {}", line_of(root, 1)),
         {}});
    return;
  }
  std::map<std::string, int> seen;
  for (const auto& entry : root) {
    const int line = line_of(entry.first, 0);
    if (!entry.first.IsScalar()) {
      layers.problems.push_back({{},
                                 "expected a section name, got " + shape_name(entry.first),
                                 fmt::format("line {}", line),
                                 {}});
      continue;
    }
    const std::string& section = entry.first.Scalar();
    if (auto [it, fresh] = seen.emplace(section, line); !fresh) {
      layers.problems.push_back({section,
                                 fmt::format("duplicate section (first at line {})", it->second),
                                 fmt::format("line {}", line),
                                 {}});
      continue;
    }
    if (std::find(section_names().begin(), section_names().end(), section) ==
        section_names().end()) {
      unknown_section(layers, section, line);
      continue;
    }
    if (entry.second.IsNull())
      continue;  // "llm:" alone: all of its defaults
    if (!entry.second.IsMap()) {
      layers.problems.push_back(
          {section,
           fmt::format("expected a mapping of {} keys, got {}", section, shape_name(entry.second)),
           fmt::format("line {}", line_of(entry.second, line)),
           {}});
      continue;
    }
    apply_section(layers, section, entry.second, file_name);
  }
}

tl::expected<Raw, std::string> raw_from_text(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos)
    return Raw{};  // empty: null
  const auto last = text.find_last_not_of(" \t\r\n");
  const std::string trimmed(text.substr(first, last - first + 1));
  const char lead = trimmed.front();
  if (lead != '[' && lead != '"' && lead != '\'') {
    return Raw{Raw::Shape::scalar, trimmed, false, {}, 0};
  }
  auto loaded = load_bounded(trimmed);
  if (!loaded)
    return tl::unexpected(loaded.error().what);
  Raw raw = from_node(*loaded, 0);
  raw.line = 0;
  for (auto& item : raw.items)
    item.line = 0;
  return raw;
}

}  // namespace g2d::config::detail
