#include "pipeline/repo_identifiers.hpp"

#include <fstream>
#include <sstream>

#include "quality/quality.hpp"

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
    std::ifstream in(m_repos_dir / file->repo / file->path, std::ios::binary);
    if (!in)
      continue;
    std::ostringstream text;
    text << in.rdbuf();
    std::string content = std::move(text).str();
    if (content.size() > budget)
      continue;
    budget -= content.size();
    quality::for_each_identifier(content, [&](std::string_view id) {
      if (!identifiers->contains(id))
        identifiers->emplace(id);
    });
  }
  return identifiers;
}

}  // namespace g2d::pipeline
