#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <ostream>

#include <spdlog/spdlog.h>

#include "app/commands.hpp"
#include "config/config.hpp"
#include "core/error.hpp"

namespace g2d::app {

namespace fs = std::filesystem;

namespace {

constexpr const char* k_example_repos =
    R"(# repos.txt — the repositories git2dataset reads (`git2dataset scrape`).
#
# One repository per line: an https or ssh URL, a git@host:path address, or a local path,
# optionally followed by a ref (branch, tag or commit) to pin it and by name=NAME, its name in the
# dataset (by default the URL without user name or password, or a local folder's name: never a
# local path). '#' starts a comment.
#
# https://github.com/owner/project.git
# https://github.com/owner/project.git v1.4.0
# git@github.com:owner/private-project.git main
# /home/me/src/local-project
# /home/me/src/other-project name=acme/other-project
)";

// Creates `path` exclusively: a file that appeared since the existence check is never replaced.
Status write_new_file(const fs::path& path, std::string_view content) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "wbx"),
                                                       std::fclose);
  if (!file)
    return fail(ErrorKind::io, "cannot create {}: {}", path.string(), std::strerror(errno));
  if (std::fwrite(content.data(), 1, content.size(), file.get()) != content.size() ||
      std::fclose(file.release()) != 0) {
    return fail(ErrorKind::io, "cannot write {}", path.string());
  }
  return {};
}

}  // namespace

int run_init(const cli::Invocation& inv, std::ostream& out) {
  const fs::path config_path = inv.init_dir / "git2dataset.yaml";
  const fs::path repos_path = inv.init_dir / "repos.txt";
  std::error_code ec;
  fs::create_directories(inv.init_dir, ec);
  if (ec)
    throw Fatal(fmt::format("cannot create {}: {}", inv.init_dir.string(), ec.message()));
  bool refused = false;
  for (const auto& path : {config_path, repos_path}) {
    if (fs::exists(path, ec)) {
      spdlog::error("{} already exists; init never overwrites (move it away to start afresh)",
                    path.string());
      refused = true;
    }
  }
  if (refused)
    return 1;
  for (const auto& [path, content] : {std::pair{config_path, config::render_default_yaml()},
                                      std::pair{repos_path, std::string(k_example_repos)}}) {
    if (auto written = write_new_file(path, content); !written) {
      throw Fatal(written.error().message);
    }
    out << "wrote " << path.string() << "\n";
  }
  out << "next: list your repositories in " << repos_path.string()
      << ", then run `git2dataset doctor`\n";
  return 0;
}

}  // namespace g2d::app
