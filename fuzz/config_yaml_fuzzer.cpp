// config_yaml_fuzzer — the configuration file's YAML layer (config/yaml_layer.cpp) on any text:
// no crash, hang or unbounded memory (aliases, nesting), every problem renders, and a text that
// loads without problems renders (`config show`) to YAML that loads back to the same values.
// Also the YAML reading of an environment variable's or a flag's value (raw_from_text).
#include <cstddef>
#include <cstdint>
#include <string>

#include "config/config.hpp"
#include "config/layers.hpp"
#include "fuzz_check.hpp"

using g2d::fuzz::check;
namespace detail = g2d::config::detail;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  detail::Layering layers;
  detail::apply_yaml(layers, text, "fuzz.yaml");
  for (const auto& problem : layers.problems)
    check(!problem.render().empty(), "a problem renders to text");
  (void)detail::raw_from_text(text);

  if (layers.problems.empty()) {
    g2d::config::LoadedConfig loaded;
    loaded.config = layers.config;
    loaded.origins = layers.origins;
    const std::string shown = g2d::config::render_effective(loaded);
    detail::Layering again;
    detail::apply_yaml(again, shown, "shown.yaml");
    check(again.problems.empty(), "config show's YAML loads without problems");
    check(again.config == layers.config, "config show's YAML loads back to the same values");
  }
  return 0;
}
