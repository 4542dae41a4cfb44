// load(): default < file < environment < flags, every layer checked by the same schema code, all
// problems reported together.
#include <algorithm>
#include <cctype>
#include <unistd.h>

#include <fmt/format.h>

#include "config/config.hpp"
#include "config/endpoints.hpp"
#include "config/layers.hpp"
#include "config/schema.hpp"
#include "config/suggest.hpp"
#include "core/text.hpp"
#include "sys/safe_read.hpp"

namespace g2d::config {

namespace fs = std::filesystem;
using namespace detail;

namespace {

constexpr std::string_view k_env_prefix = "GIT2DATASET_";

std::string upper(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

std::string env_name(const std::string& key_path) {
  std::string name = std::string(k_env_prefix) + upper(key_path);
  std::replace(name.begin(), name.end(), '.', '_');
  return name;
}

// Converts one value from the environment or a flag and applies it, or records why not.
void apply_text(Layering& layers, const KeySpec& key, const std::string& text, Origin origin,
                const std::string& location) {
  auto raw = raw_from_text(text);
  if (!raw) {
    layers.problems.push_back({key.path, raw.error(), location, {}});
    return;
  }
  auto value = convert(key, *raw, true);
  if (!value) {
    layers.reject(value.error(), location);
    return;
  }
  layers.set(key, *value, std::move(origin), location);
}

void apply_environment(Layering& layers, const std::map<std::string, std::string>& environment) {
  for (const auto& [variable, text] : environment) {
    if (!variable.starts_with(k_env_prefix))
      continue;
    const std::string rest = variable.substr(k_env_prefix.size());
    const auto underscore = rest.find('_');
    if (underscore == std::string::npos)
      continue;
    const std::string section = to_lower(rest.substr(0, underscore));
    const auto& sections = section_names();
    if (std::find(sections.begin(), sections.end(), section) == sections.end()) {
      continue;  // GIT2DATASET_CACHE and friends: not configuration
    }
    const std::string name = to_lower(rest.substr(underscore + 1));
    const KeySpec* key = find_key(section + "." + name);
    if (key == nullptr) {
      auto near = suggest_key(section, name);
      layers.problems.push_back({section + "." + name, "unknown key", variable,
                                 near ? fmt::format("; did you mean {}?", env_name(*near)) : ""});
      continue;
    }
    apply_text(layers, *key, text, Origin{Source::environment, variable}, variable);
  }
}

void apply_overrides(Layering& layers, const std::vector<Override>& overrides) {
  for (const auto& o : overrides) {
    const std::string flag = o.origin.empty() ? "--set " + o.key_path : o.origin;
    const KeySpec* key = find_key(o.key_path);
    if (key == nullptr) {
      const auto dot = o.key_path.find('.');
      auto near = dot == std::string::npos
                      ? suggest_key("", o.key_path)
                      : suggest_key(o.key_path.substr(0, dot), o.key_path.substr(dot + 1));
      layers.problems.push_back(
          {o.key_path, "unknown key", flag, near ? fmt::format("; did you mean {}?", *near) : ""});
      continue;
    }
    if (!o.exact) {
      apply_text(layers, *key, o.value, Origin{Source::flag, flag}, flag);
      continue;
    }
    Raw raw{Raw::Shape::scalar, o.value, true, {}, 0};
    if (key->type == Type::text_list) {
      raw = Raw{Raw::Shape::sequence, {}, false, {}, 0};
      for (const auto& item : o.items)
        raw.items.push_back(Raw{Raw::Shape::scalar, item, true, {}, 0});
    }
    auto value = convert(*key, raw, false);
    if (value)
      layers.set(*key, *value, Origin{Source::flag, flag}, flag);
    else
      layers.reject(value.error(), flag);
  }
}

// llm.base_urls: with a server backend, instead of base_url, each server once.
void check_servers(Layering& layers) {
  const LlmConfig& llm = layers.config.llm;
  if (llm.base_urls.empty())
    return;
  const std::string& where = layers.locations["llm.base_urls"];
  if (llm.backend == "llama_cpp") {
    layers.problems.push_back({"llm.base_urls",
                               "the llama_cpp backend runs in this process and takes no server",
                               where, "; set llm.backend to openai, ollama or mlx"});
  }
  if (!llm.base_url.empty()) {
    layers.problems.push_back({"llm.base_urls",
                               "set llm.base_url (one server) or llm.base_urls (several), not both",
                               fmt::format("llm.base_url at {}", layers.locations["llm.base_url"]),
                               {}});
  }
  // The URL is not shown: it may hold a password.
  std::vector<std::string> seen;
  for (std::size_t i = 0; i < llm.base_urls.size(); ++i) {
    auto spec = parse_endpoint(llm.base_urls[i]);
    if (!spec)
      continue;  // already reported
    std::string identity = endpoint_identity(spec->url);
    auto first = std::find(seen.begin(), seen.end(), identity);
    if (first != seen.end())
      layers.problems.push_back(
          {fmt::format("llm.base_urls[{}]", i),
           fmt::format("the same server as llm.base_urls[{}]", first - seen.begin()),
           where,
           {}});
    seen.push_back(std::move(identity));
  }
}

// Rules that involve more than one key, checked on the merged result.
void check_cross_keys(Layering& layers) {
  const LlmConfig& llm = layers.config.llm;
  if (llm.backend != "llama_cpp" && llm.model.empty()) {
    const std::string& where = layers.locations["llm.backend"];
    layers.problems.push_back(
        {"llm.model",
         fmt::format("expected a model name for the {} backend, got nothing", llm.backend),
         fmt::format("llm.backend at {}", where),
         {}});
  }
  check_servers(layers);
  const ExportConfig& exp = layers.config.export_;
  if (exp.validation_fraction > 0 && exp.output == "-") {
    layers.problems.push_back(
        {"export.validation_fraction",
         "a validation split needs export.output to name a file, not - (standard output)",
         fmt::format("export.output at {}", layers.locations["export.output"]),
         {}});
  }
}

Error report(const std::string& header, const std::vector<Problem>& problems) {
  if (problems.size() == 1) {
    return Error{ErrorKind::config, fmt::format("{}: {}", header, problems.front().render())};
  }
  std::string message = fmt::format("{}: {} errors:", header, problems.size());
  for (const auto& p : problems)
    message += "\n  " + p.render();
  return Error{ErrorKind::config, std::move(message)};
}

Result<std::string> read_config_file(const fs::path& path) {
  auto text = sys::read_small_file(path, k_max_file_bytes, "configuration file");
  if (!text && text.error().kind == ErrorKind::invalid_argument)
    return tl::unexpected(Error{ErrorKind::config, text.error().message});
  return text;
}

}  // namespace

namespace detail {

std::string Problem::render() const {
  std::string out = key_path.empty() ? what : key_path + ": " + what;
  if (!location.empty())
    out += " (" + location + ")";
  return out + hint;
}

Layering::Layering() {
  for (const auto& key : schema())
    origins[key.path] = Origin{Source::default_value, {}};
}

void Layering::set(const KeySpec& key, const Value& value, Origin origin, std::string location) {
  key.set(config, value);
  origins[key.path] = std::move(origin);
  locations[key.path] = std::move(location);
}

void Layering::reject(const Invalid& invalid, std::string location) {
  if (location.empty())
    location = fmt::format("line {}", invalid.line);
  problems.push_back({invalid.key_path,
                      fmt::format("expected {}, got {}", invalid.expected, invalid.got),
                      std::move(location), invalid.hint});
}

std::optional<std::string> suggest_key(std::string_view section, std::string_view name) {
  if (!section.empty()) {
    if (auto path = closest(fmt::format("{}.{}", section, name), key_paths()))
      return path;
  }
  std::vector<std::string> names;
  for (const auto& key : schema())
    names.push_back(key.name);
  auto near = closest(name, names);
  if (!near)
    return std::nullopt;
  return std::find_if(schema().begin(), schema().end(),
                      [&](const KeySpec& k) { return k.name == *near; })
      ->path;
}

}  // namespace detail

Result<LoadedConfig> load(const LoadOptions& options) {
  Layering layers;
  LoadedConfig loaded;
  std::error_code ec;
  if (options.file) {
    auto text = read_config_file(*options.file);
    if (!text)
      return tl::unexpected(text.error());
    apply_yaml(layers, *text, options.file->filename().string());
    loaded.file = options.file;
    loaded.base_dir = fs::absolute(*options.file, ec).parent_path().lexically_normal();
  } else {
    loaded.base_dir = fs::current_path(ec);
  }
  apply_environment(layers, options.environment);
  apply_overrides(layers, options.overrides);
  check_cross_keys(layers);
  if (!layers.problems.empty()) {
    return tl::unexpected(
        report(options.file ? options.file->string() : "configuration", layers.problems));
  }
  loaded.config = std::move(layers.config);
  loaded.origins = std::move(layers.origins);
  return loaded;
}

fs::path resolve_path(const LoadedConfig& loaded, const std::string& configured) {
  if (configured.empty() || configured.find("://") != std::string::npos)
    return configured;
  fs::path path(configured);
  if (path.is_absolute())
    return path;
  return loaded.base_dir / path;
}

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> variables;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    if (!text.starts_with(k_env_prefix))
      continue;
    const auto eq = text.find('=');
    if (eq == std::string_view::npos)
      continue;
    variables.emplace(text.substr(0, eq), text.substr(eq + 1));
  }
  return variables;
}

std::vector<std::string> key_paths() {
  std::vector<std::string> paths;
  for (const auto& key : schema())
    paths.push_back(key.path);
  return paths;
}

}  // namespace g2d::config
