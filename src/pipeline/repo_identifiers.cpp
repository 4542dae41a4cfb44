#include "pipeline/repo_identifiers.hpp"

#include <algorithm>

#include "quality/quality.hpp"
#include "sys/safe_read.hpp"

namespace g2d::pipeline {

RepoIdentifiers::RepoIdentifiers(std::filesystem::path repos_dir, const Plan& plan,
                                 std::size_t max_bytes)
    : m_repos_dir(std::move(repos_dir)), m_max_bytes(max_bytes) {
  for (const auto& planned : plan.files)  // in file_path order
    m_repos[planned.file.repo].files.push_back(&planned.file);
}

std::shared_ptr<const IdentifierSet> RepoIdentifiers::of(const std::string& repo) {
  auto it = m_repos.find(repo);
  if (it == m_repos.end())
    return std::make_shared<const IdentifierSet>();
  Entry& entry = it->second;
  std::call_once(entry.built, [&] { entry.identifiers = build(entry); });
  return entry.identifiers;
}

std::shared_ptr<const IdentifierSet> RepoIdentifiers::build(const Entry& entry) const {
  auto identifiers = std::make_shared<IdentifierSet>();
  std::size_t budget = m_max_bytes;
  for (const auto* file : entry.files) {
    if (file->size > budget)
      continue;  // a smaller file later may still fit
    // Repository content: read as safely as the file itself (no symlink, no fifo, bounded).
    auto read = sys::read_regular_file(m_repos_dir / file->repo, file->path,
                                       std::min<std::uint64_t>(file->size, budget));
    if (!read)
      continue;
    std::string content = std::move(*read);
    budget -= content.size();
    quality::for_each_identifier(content, [&](std::string_view id) {
      if (!identifiers->contains(id))
        identifiers->emplace(id);
    });
  }
  return identifiers;
}

}  // namespace g2d::pipeline
