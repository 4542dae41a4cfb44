// The file layer: yaml-cpp nodes → Raw values → the schema's conversion. yaml-cpp marks are
// 0-based; everything reported here is 1-based. yaml-cpp keeps duplicate keys, so they are found
// here (YAML forbids them, and "last one wins" would hide a mistake).
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "config/layers.hpp"
#include "config/suggest.hpp"

namespace g2d::config::detail {

namespace {

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
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    layers.problems.push_back(
        {{},
         "YAML syntax error: " + e.msg,
         fmt::format("line {}, column {}", e.mark.line + 1, e.mark.column + 1),
         {}});
    return;
  }
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
  try {
    Raw raw = from_node(YAML::Load(trimmed), 0);
    raw.line = 0;
    for (auto& item : raw.items)
      item.line = 0;
    return raw;
  } catch (const YAML::Exception& e) {
    return tl::unexpected<std::string>("YAML syntax error: " + e.msg);
  }
}

}  // namespace g2d::config::detail
