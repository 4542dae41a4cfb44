// Placeholder while scrape is being written (issue 3).
#include "git/scrape.hpp"

namespace g2d::git {

std::string_view to_string(OutcomeKind kind) {
  switch (kind) {
    case OutcomeKind::cloned: return "cloned";
    case OutcomeKind::updated: return "updated";
    case OutcomeKind::unchanged: return "unchanged";
    case OutcomeKind::dirty: return "dirty";
    case OutcomeKind::diverged: return "diverged";
    case OutcomeKind::failed: return "failed";
    case OutcomeKind::cancelled: return "cancelled";
  }
  return "failed";
}

bool succeeded(OutcomeKind kind) {
  return kind == OutcomeKind::cloned || kind == OutcomeKind::updated ||
         kind == OutcomeKind::unchanged;
}

std::vector<RepoOutcome> scrape(const std::vector<RepoRef>& repos, const ScrapeOptions& /*o*/) {
  std::vector<RepoOutcome> out;
  for (const auto& r : repos)
    out.push_back({r, OutcomeKind::failed, "", "not implemented yet"});
  return out;
}

Result<std::string> head_commit(const std::filesystem::path& repo_dir) {
  return fail(ErrorKind::internal, "head_commit({}): not implemented yet", repo_dir.string());
}

}  // namespace g2d::git
