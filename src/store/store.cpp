#include "store/store.hpp"

#include <array>
#include <utility>

namespace g2d::store {

namespace {

constexpr std::array<std::pair<FileStatus, std::string_view>, 4> k_status_names{{
    {FileStatus::pending, "pending"},
    {FileStatus::done, "done"},
    {FileStatus::failed, "failed"},
    {FileStatus::retired, "retired"},
}};

}  // namespace

std::string_view to_string(FileStatus status) {
  for (const auto& [value, name] : k_status_names) {
    if (value == status)
      return name;
  }
  return "unknown";
}

std::optional<FileStatus> parse_file_status(std::string_view text) {
  for (const auto& [value, name] : k_status_names) {
    if (name == text)
      return value;
  }
  return std::nullopt;
}

Result<std::vector<FileRecord>> Store::list_files() {
  std::vector<FileRecord> files;
  auto st = for_each_file([&](const FileRecord& file) -> Status {
    files.push_back(file);
    return {};
  });
  if (!st)
    return tl::unexpected(st.error());
  return files;
}

}  // namespace g2d::store
