// Every ranged key at its bounds: just inside loads, just outside is an error naming the key.
#include <cctype>
#include <ostream>

#include <gmock/gmock.h>

#include "fixture.hpp"

namespace g2d::config {
namespace {

using ::testing::HasSubstr;

struct Bound {
  std::string key_path;
  std::string inside;    // loads
  std::string outside;   // an error
  std::string expected;  // the error's "expected ..." text
};

void PrintTo(const Bound& b, std::ostream* out) {
  *out << b.key_path << " " << b.inside << "|" << b.outside;
}

std::string test_name(const ::testing::TestParamInfo<Bound>& info) {
  std::string name = info.param.key_path + "_" + std::to_string(info.index);
  for (auto& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)))
      c = '_';
  }
  return name;
}

std::string yaml_for(const std::string& key_path, const std::string& value) {
  const auto dot = key_path.find('.');
  return fmt::format("{}:\n  {}: {}\n", key_path.substr(0, dot), key_path.substr(dot + 1), value);
}

class ConfigRangeTest : public ConfigTest, public ::testing::WithParamInterface<Bound> {};

TEST_P(ConfigRangeTest, InsideLoadsOutsideFails) {
  const Bound& b = GetParam();
  auto inside = load_yaml(yaml_for(b.key_path, b.inside));
  ASSERT_TRUE(inside) << b.key_path << " = " << b.inside << ": " << inside.error().message;
  EXPECT_EQ(inside->origins.at(b.key_path).source, Source::file);
  EXPECT_THAT(error_of(yaml_for(b.key_path, b.outside)),
              HasSubstr(fmt::format("{}: expected {}, got \"{}\" (line 2)", b.key_path, b.expected,
                                    b.outside)));
}

// Also checked through the environment, which shares the validation.
TEST_P(ConfigRangeTest, EnvironmentIsCheckedTheSameWay) {
  const Bound& b = GetParam();
  std::string variable = "GIT2DATASET_" + b.key_path;
  for (auto& c : variable)
    c = c == '.' ? '_' : static_cast<char>(std::toupper(c));
  LoadOptions options;
  options.environment = {{variable, b.inside}};
  EXPECT_TRUE(load(options)) << variable << "=" << b.inside;
  options.environment = {{variable, b.outside}};
  auto bad = load(options);
  ASSERT_FALSE(bad) << variable << "=" << b.outside;
  EXPECT_THAT(bad.error().message,
              HasSubstr(fmt::format("{}: expected {}, got \"{}\" ({})", b.key_path, b.expected,
                                    b.outside, variable)));
}

// clang-format off
INSTANTIATE_TEST_SUITE_P(ConfigBounds, ConfigRangeTest, ::testing::Values(
    Bound{"llm.max_retries", "0", "-1", "integer from 0 to 100"},
    Bound{"llm.max_retries", "100", "101", "integer from 0 to 100"},
    Bound{"llm.context_window", "512", "511", "integer >= 512 (or 0)"},
    Bound{"llm.context_window", "0", "-1", "integer >= 512 (or 0)"},
    Bound{"llm.context_window", "10000000", "10000001", "integer <= 10000000"},
    Bound{"llm.request_timeout", "0", "-1", "integer >= 0"},
    Bound{"llm.request_timeout", "2147483647", "2147483648", "integer <= 2147483647"},
    Bound{"llm.seconds_per_token", "0", "-0.5", "number from 0 to 3600"},
    Bound{"llm.seconds_per_token", "3600", "3600.5", "number from 0 to 3600"},
    Bound{"llm.default_max_tokens", "1", "0", "integer from 1 to 100000"},
    Bound{"llm.default_max_tokens", "100000", "100001", "integer from 1 to 100000"},
    Bound{"llm.temperature", "0", "-0.01", "number from 0 to 2"},
    Bound{"llm.temperature", "2", "2.01", "number from 0 to 2"},
    Bound{"llm.questions_per_file", "1", "0", "integer from 1 to 50"},
    Bound{"llm.questions_per_file", "50", "51", "integer from 1 to 50"},
    Bound{"llm.threads", "0", "-1", "integer from 0 to 1024"},
    Bound{"llm.threads", "1024", "1025", "integer from 0 to 1024"},
    Bound{"llm.gpu_layers", "-1", "-2", "integer >= 0 (or -1)"},
    Bound{"llm.gpu_layers", "999", "99999999999", "integer <= 2147483647"},
    Bound{"llm.draft_tokens", "0", "-1", "integer from 0 to 32"},
    Bound{"llm.draft_tokens", "32", "33", "integer from 0 to 32"},
    Bound{"pipeline.max_file_bytes", "1", "0", "integer >= 1"},
    Bound{"pipeline.max_file_bytes", "9223372036854775807", "9223372036854775808",
          "integer <= 9223372036854775807"},
    Bound{"pipeline.max_units_per_file", "1", "0", "integer from 1 to 10000"},
    Bound{"pipeline.max_units_per_file", "10000", "10001", "integer from 1 to 10000"},
    Bound{"pipeline.max_concurrent_files", "1", "0", "integer from 1 to 256"},
    Bound{"pipeline.max_concurrent_files", "256", "257", "integer from 1 to 256"},
    Bound{"pipeline.scrape_jobs", "1", "0", "integer from 1 to 64"},
    Bound{"pipeline.scrape_jobs", "64", "65", "integer from 1 to 64"},
    Bound{"pipeline.clone_depth", "0", "-1", "integer >= 0"},
    Bound{"resources.max_ram_gb", "0.001", "0", "number > 0"},
    Bound{"resources.max_ram_gb", "1e3", "-1", "number > 0"},
    Bound{"resources.battery_pause_threshold", "0", "-1", "integer from 0 to 100"},
    Bound{"resources.battery_pause_threshold", "100", "101", "integer from 0 to 100"},
    Bound{"resources.unload_after_idle_seconds", "0", "-1", "integer >= 0"}),
    test_name);
// clang-format on

}  // namespace
}  // namespace g2d::config
