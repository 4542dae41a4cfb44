// YAML out: the commented default file for `init`, and the effective values for `config show`.
// Both are written by hand (not with yaml-cpp's emitter) to place a comment on every key; both
// load back with load().
#include <algorithm>
#include <sstream>

#include <fmt/format.h>

#include "config/config.hpp"
#include "config/schema.hpp"

namespace g2d::config {

using namespace detail;

namespace {

constexpr std::size_t k_max_comment_column = 48;

const char* section_comment(const std::string& section) {
  if (section == "llm")
    return "The language model that writes the questions and answers.";
  if (section == "generation")
    return "How the model writes each unit's question/answer pairs.";
  if (section == "pipeline")
    return "What is read, and where progress and the dataset are kept.";
  if (section == "export")
    return "What `export` (and `run`) write: the dataset's format, filters and split.";
  return "How much of the machine git2dataset may use.";
}

std::string yaml_value(const Value& value) {
  struct Visitor {
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(std::int64_t i) const { return fmt::format("{}", i); }
    std::string operator()(double d) const { return fmt::format("{}", d); }
    std::string operator()(const std::string& s) const { return yaml_scalar(s); }
    std::string operator()(const std::vector<std::string>& items) const {
      std::vector<std::string> shown;
      shown.reserve(items.size());
      for (const auto& item : items)
        shown.push_back(yaml_scalar(item));
      return fmt::format("[{}]", fmt::join(shown, ", "));
    }
  };
  return std::visit(Visitor{}, value);
}

std::string origin_comment(const Origin& origin) {
  switch (origin.source) {
    case Source::default_value:
      return "default";
    case Source::file:
      return origin.detail;
    case Source::environment:
      return "env " + origin.detail;
    case Source::flag:
      return "flag " + origin.detail;
  }
  return "";
}

}  // namespace

std::string render_default_yaml() {
  const Config defaults;
  std::ostringstream out;
  out << "# git2dataset configuration. `git2dataset config show` prints the effective values and\n"
         "# where each came from; `git2dataset config validate` checks this file.\n"
         "#\n"
         "# Every key is optional: a key left out takes the default written here.\n"
         "# Environment variables GIT2DATASET_<SECTION>_<KEY> (e.g. GIT2DATASET_LLM_MODEL) "
         "override\n"
         "# this file, and flags override both: --set llm.context_window=8192, --backend, "
         "--model,\n"
         "# --database. Relative paths are relative to the directory of this file.\n";
  std::string section;
  for (const auto& key : schema()) {
    if (key.section != section) {
      section = key.section;
      out << "\n# " << section_comment(section) << "\n" << section << ":\n";
    }
    std::istringstream help(key.help);
    for (std::string line; std::getline(help, line);)
      out << "  # " << line << "\n";
    out << "  " << key.name << ": " << yaml_value(key.get(defaults)) << "\n";
  }
  return out.str();
}

std::string render_effective(const LoadedConfig& loaded) {
  std::vector<std::pair<std::string, std::string>> lines;  // text, comment
  std::string section;
  for (const auto& key : schema()) {
    if (key.section != section) {
      section = key.section;
      lines.emplace_back(section + ":", "");
    }
    auto origin = loaded.origins.find(key.path);
    lines.emplace_back("  " + key.name + ": " + yaml_value(key.get(loaded.config)),
                       origin_comment(origin == loaded.origins.end() ? Origin{} : origin->second));
  }
  std::size_t column = 0;
  for (const auto& [text, comment] : lines) {
    if (!comment.empty() && text.size() + 2 <= k_max_comment_column) {
      column = std::max(column, text.size() + 2);
    }
  }
  std::string out =
      "# Effective configuration; each value comes from the last of: default, file,\n"
      "# environment (GIT2DATASET_<SECTION>_<KEY>), flag.\n";
  out += fmt::format("# File: {}\n",
                     loaded.file ? loaded.file->string() : "none (no configuration file)");
  out += fmt::format("# Relative paths resolve from {}\n", loaded.base_dir.string());
  for (const auto& [text, comment] : lines) {
    out += text;
    if (!comment.empty()) {
      out += std::string(text.size() < column ? column - text.size() : 2, ' ') + "# " + comment;
    }
    out += "\n";
  }
  return out;
}

}  // namespace g2d::config
