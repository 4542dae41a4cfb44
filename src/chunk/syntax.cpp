#include "chunk/syntax.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "core/utf8.hpp"

extern "C" {
const TSLanguage* tree_sitter_c(void);
const TSLanguage* tree_sitter_cpp(void);
const TSLanguage* tree_sitter_python(void);
const TSLanguage* tree_sitter_javascript(void);
const TSLanguage* tree_sitter_typescript(void);
const TSLanguage* tree_sitter_tsx(void);
const TSLanguage* tree_sitter_go(void);
const TSLanguage* tree_sitter_rust(void);
const TSLanguage* tree_sitter_java(void);
}

namespace g2d::chunk {
namespace {

// Node types are per grammar, but the names below mean the same thing wherever they occur, so one
// table serves every language.
struct ContainerKind {
  std::string_view type;
  std::string_view keyword;  // "" adds no scope
};
constexpr ContainerKind k_containers[] = {
    // C and C++
    {"namespace_definition", "namespace"},
    {"class_specifier", "class"},
    {"struct_specifier", "struct"},
    {"union_specifier", "union"},
    {"enum_specifier", "enum"},
    {"linkage_specification", "extern"},
    {"preproc_if", ""},
    {"preproc_ifdef", ""},
    {"preproc_elif", ""},
    {"preproc_elifdef", ""},
    {"preproc_else", ""},
    // Python, Java, JavaScript, TypeScript
    {"class_definition", "class"},
    {"class_declaration", "class"},
    {"abstract_class_declaration", "class"},
    {"class", "class"},
    {"interface_declaration", "interface"},
    {"enum_declaration", "enum"},
    {"record_declaration", "record"},
    {"annotation_type_declaration", "@interface"},
    {"enum_body_declarations", ""},
    {"internal_module", "namespace"},
    {"module", "module"},
    // Rust
    {"impl_item", "impl"},
    {"mod_item", "mod"},
    {"trait_item", "trait"},
    {"struct_item", "struct"},
    {"enum_item", "enum"},
    {"union_item", "union"},
    {"foreign_mod_item", "extern"},
    // Go
    {"type_declaration", "type"},
    {"const_declaration", "const"},
    {"var_declaration", "var"},
};

// Nodes that wrap a definition: `template <...> class`, `export class`, `@decorator class`,
// `typedef struct {...} T;`, a C++ member `class Inner {...};`.
constexpr std::string_view k_wrappers[] = {
    "template_declaration", "declaration",          "type_definition",     "field_declaration",
    "export_statement",     "decorated_definition", "ambient_declaration", "expression_statement",
};

// Nodes that belong to the definition below them.
constexpr std::string_view k_leading[] = {"comment", "line_comment", "block_comment",
                                          "attribute_item", "decorator"};

template <std::size_t N>
bool one_of(std::string_view type, const std::string_view (&list)[N]) {
  return std::find(std::begin(list), std::end(list), type) != std::end(list);
}

const ContainerKind* container_kind(TSNode node) {
  std::string_view type = ts_node_type(node);
  for (const auto& kind : k_containers)
    if (kind.type == type)
      return &kind;
  return nullptr;
}

TSNode field(TSNode node, const char* name) {
  return ts_node_child_by_field_name(node, name, static_cast<uint32_t>(std::strlen(name)));
}

bool is_type(TSNode node, std::string_view type) {
  return !ts_node_is_null(node) && ts_node_type(node) == type;
}

// A Go type declaration's members: a struct's fields, an interface's methods, or (for a group
// `type ( A ...; B ... )`) its specs.
TSNode go_type_body(TSNode declaration) {
  if (ts_node_named_child_count(declaration) != 1)
    return declaration;
  TSNode type = field(ts_node_named_child(declaration, 0), "type");
  if (is_type(type, "struct_type"))
    return ts_node_named_child(type, 0);  // field_declaration_list
  if (is_type(type, "interface_type"))
    return type;
  return TSNode{};
}

// A node's text, whitespace runs collapsed to one space, cut to a readable length.
std::string flat_text(TSNode node, std::string_view source) {
  constexpr std::size_t k_max = 80;
  if (ts_node_is_null(node))
    return "";
  std::size_t begin = ts_node_start_byte(node);
  std::size_t end = std::min<std::size_t>(ts_node_end_byte(node), source.size());
  std::string out;
  bool space = false;
  for (std::size_t i = begin; i < end; ++i) {
    char c = source[i];
    if (out.size() >= k_max && !is_utf8_continuation(static_cast<unsigned char>(c)))
      break;  // never inside a UTF-8 character
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      space = !out.empty();
      continue;
    }
    if (space)
      out += ' ';
    space = false;
    out += c;
  }
  return out;
}

// The container (a node with a body) that `node` is or wraps; a null node when none.
TSNode find_container(TSNode node, int depth = 0) {
  if (!ts_node_is_null(body_of(node)))
    return node;
  if (depth > 3 || !one_of(ts_node_type(node), k_wrappers))
    return TSNode{};
  uint32_t n = ts_node_named_child_count(node);
  for (uint32_t i = 0; i < n; ++i) {
    TSNode found = find_container(ts_node_named_child(node, i), depth + 1);
    if (!ts_node_is_null(found))
      return found;
  }
  return TSNode{};
}

// The last line a node occupies: one that ends right after a '\n' ends on the line before.
int last_line(TSNode node) {
  TSPoint start = ts_node_start_point(node);
  TSPoint end = ts_node_end_point(node);
  if (end.column == 0 && end.row > start.row)
    return static_cast<int>(end.row) - 1;
  return static_cast<int>(end.row);
}

}  // namespace

std::vector<const TSLanguage*> languages_for(std::string_view language) {
  if (language == "c")
    return {tree_sitter_c(), tree_sitter_cpp()};
  if (language == "cpp")
    return {tree_sitter_cpp()};
  if (language == "python")
    return {tree_sitter_python()};
  if (language == "javascript")
    return {tree_sitter_javascript()};
  if (language == "typescript")
    return {tree_sitter_typescript(), tree_sitter_tsx()};
  if (language == "tsx")
    return {tree_sitter_tsx(), tree_sitter_typescript()};
  if (language == "go")
    return {tree_sitter_go()};
  if (language == "rust")
    return {tree_sitter_rust()};
  if (language == "java")
    return {tree_sitter_java()};
  return {};
}

TSNode body_of(TSNode node) {
  if (ts_node_is_null(node))
    return TSNode{};
  const ContainerKind* kind = container_kind(node);
  if (kind == nullptr)
    return TSNode{};
  std::string_view type = kind->type;
  if (type == "type_declaration")
    return go_type_body(node);
  if (kind->keyword.empty() || type == "const_declaration" || type == "var_declaration")
    return node;  // members are its own named children
  return field(node, "body");
}

std::string describe(TSNode container, std::string_view source) {
  const ContainerKind* kind = container_kind(container);
  if (kind == nullptr || kind->keyword.empty())
    return "";
  std::string_view type = kind->type;
  std::string out(kind->keyword);
  std::string name;
  if (type == "impl_item") {
    TSNode trait = field(container, "trait");
    if (!ts_node_is_null(trait))
      name = flat_text(trait, source) + " for ";
    name += flat_text(field(container, "type"), source);
  } else if (type == "linkage_specification") {
    name = flat_text(field(container, "value"), source);
  } else if (type == "type_declaration") {
    if (ts_node_named_child_count(container) == 1)
      name = flat_text(field(ts_node_named_child(container, 0), "name"), source);
  } else {
    name = flat_text(field(container, "name"), source);
  }
  if (!name.empty())
    out += " " + name;
  return out;
}

std::vector<Unit> units_of(TSNode parent, int first, int last) {
  struct Item {
    int first;
    int last;
    bool leading;
    TSNode container;
  };
  std::vector<Item> items;
  TSTreeCursor cursor = ts_tree_cursor_new(parent);
  if (ts_tree_cursor_goto_first_child(&cursor)) {
    do {
      TSNode child = ts_tree_cursor_current_node(&cursor);
      if (!ts_node_is_named(child))
        continue;
      int from = std::max(first, static_cast<int>(ts_node_start_point(child).row));
      int to = std::min(last, std::max(from, last_line(child)));
      if (from > last)
        break;
      bool leading = one_of(ts_node_type(child), k_leading);
      TSNode container = leading ? TSNode{} : find_container(child);
      if (!items.empty() && from <= items.back().last) {
        // Shares a line with the previous node: one unit. A comment at the end of a definition's
        // last line leaves it a container; two definitions on one line make it a leaf.
        Item& back = items.back();
        back.last = std::max(back.last, to);
        if (back.leading) {
          back.container = container;
          back.leading = leading;
        } else if (!leading) {
          back.container = TSNode{};
        }
        continue;
      }
      items.push_back(Item{from, to, leading, container});
    } while (ts_tree_cursor_goto_next_sibling(&cursor));
  }
  ts_tree_cursor_delete(&cursor);

  // Leading comments join the definition below them; the lines before a unit join it; the lines
  // after the last unit join that one.
  std::vector<Unit> units;
  int pending = -1;  // first line of leading items not yet attached
  for (const Item& item : items) {
    if (item.leading) {
      if (pending < 0)
        pending = item.first;
      continue;
    }
    units.push_back(
        Unit{pending >= 0 ? pending : item.first, item.last, Level::definition, item.container});
    pending = -1;
  }
  if (pending >= 0)
    units.push_back(Unit{pending, items.back().last, Level::definition, TSNode{}});
  for (std::size_t i = 0; i < units.size(); ++i)
    units[i].first = i == 0 ? first : units[i - 1].last + 1;
  if (!units.empty())
    units.back().last = last;
  return units;
}

}  // namespace g2d::chunk
