// tests/pipeline/planned_file.hpp — a source file written into a repository folder under
// repos_dir and planned as new, for the pipeline's tests that build their own plan.
#pragma once

#include <filesystem>
#include <string>

#include "pipeline/plan.hpp"
#include "support.hpp"
#include "sys/sha256.hpp"

namespace g2d::pipeline {

inline PlannedFile planned_file(const std::filesystem::path& repos_dir, const std::string& repo,
                                const std::string& name, const std::string& code,
                                const std::string& language = "c") {
  test::write_file(repos_dir / repo / name, code);
  PlannedFile p;
  p.file.repo = repo;
  p.file.path = name;
  p.file.file_path = repo + "/" + name;
  p.file.language = language;
  p.file.size = code.size();
  p.file.sha256 = sys::sha256_hex(code);
  return p;
}

}  // namespace g2d::pipeline
