// tests/config/fixture.hpp — loads a configuration written to a temporary git2dataset.yaml.
//
// Thread-safety: one fixture per test.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "config/config.hpp"
#include "support.hpp"

namespace g2d::config {

class ConfigTest : public ::testing::Test {
 protected:
  std::filesystem::path write_config(std::string_view yaml) const {
    auto path = m_dir / "git2dataset.yaml";
    test::write_file(path, yaml);
    return path;
  }

  Result<LoadedConfig> load_yaml(std::string_view yaml,
                                 std::map<std::string, std::string> environment = {},
                                 std::vector<Override> overrides = {}) const {
    LoadOptions options;
    options.file = write_config(yaml);
    options.environment = std::move(environment);
    options.overrides = std::move(overrides);
    return load(options);
  }

  // The error message of a configuration that must not load ("" if it loaded).
  std::string error_of(std::string_view yaml, std::map<std::string, std::string> environment = {},
                       std::vector<Override> overrides = {}) const {
    auto loaded = load_yaml(yaml, std::move(environment), std::move(overrides));
    EXPECT_FALSE(loaded) << "loaded:\n" << yaml;
    if (loaded)
      return "";
    EXPECT_EQ(loaded.error().kind, ErrorKind::config) << loaded.error().message;
    return loaded.error().message;
  }

  test::TempDir m_dir;
};

}  // namespace g2d::config
