// tests/discover/git_oracle.hpp — a fixture for tests that ask git itself what it decides (the
// oracle for our gitignore and gitattributes matching): the user's and the system's git
// configuration, and the XDG default ignore/attributes files, never leak into its answers.
//
// Thread-safety: one test at a time (it changes the process environment for the test's life).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "support.hpp"
#include "sys/process.hpp"

namespace g2d::discover {

class GitOracleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    m_env.push_back(std::make_unique<test::ScopedEnv>("GIT_CONFIG_GLOBAL", "/dev/null"));
    m_env.push_back(std::make_unique<test::ScopedEnv>("GIT_CONFIG_NOSYSTEM", "1"));
    m_env.push_back(std::make_unique<test::ScopedEnv>("XDG_CONFIG_HOME", (m_tmp / "xdg").string()));
  }
  void TearDown() override { m_env.clear(); }

  // git in `repo`; nullopt (and a test failure) when it cannot run.
  static std::optional<sys::ProcessResult> git(const std::filesystem::path& repo,
                                               std::vector<std::string> args) {
    args.insert(args.begin(), "git");
    sys::ProcessOptions options;
    options.cwd = repo;
    options.env = {{"GIT_DIR", std::nullopt},
                   {"GIT_WORK_TREE", std::nullopt},
                   {"GIT_INDEX_FILE", std::nullopt}};
    options.timeout = std::chrono::seconds(60);
    auto result = sys::run_process(args, options);
    if (!result) {
      ADD_FAILURE() << "cannot run git: " << result.error().describe();
      return std::nullopt;
    }
    return *result;
  }

  test::TempDir m_tmp;

 private:
  std::vector<std::unique_ptr<test::ScopedEnv>> m_env;
};

}  // namespace g2d::discover
