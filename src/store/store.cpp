#include "store/store.hpp"

#include <array>
#include <utility>

#include "core/enum_names.hpp"

namespace g2d::store {

namespace {

constexpr auto k_status_names = enum_names<FileStatus>({
    {FileStatus::pending, "pending"},
    {FileStatus::done, "done"},
    {FileStatus::failed, "failed"},
    {FileStatus::retired, "retired"},
});

}  // namespace

std::string_view to_string(FileStatus status) {
  return name_of(k_status_names, status, "unknown");
}

std::optional<FileStatus> parse_file_status(std::string_view text) {
  return value_of(k_status_names, text);
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
