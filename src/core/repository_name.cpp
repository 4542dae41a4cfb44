#include "core/repository_name.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>

namespace g2d {

std::string strip_userinfo(std::string_view address) {
  size_t start = 0;
  size_t end = 0;  // the authority (or the scp-like host part) is [start, end)
  if (size_t scheme = address.find("://"); scheme != std::string_view::npos) {
    start = scheme + 3;
    end = std::min(address.find('/', start), address.size());
  } else {
    // scp-like: a ':' before any '/' (a local path has none, or a '/' first).
    size_t colon = address.find(':');
    if (colon == std::string_view::npos || address.find('/') < colon)
      return std::string(address);
    end = colon;
  }
  size_t at = address.substr(start, end - start).rfind('@');
  if (at == std::string_view::npos)
    return std::string(address);
  return std::string(address.substr(0, start)).append(address.substr(start + at + 1));
}

std::string local_path_name(std::string_view path) {
  std::filesystem::path p = std::filesystem::path(path).lexically_normal();
  std::string name =
      p.filename().empty() ? p.parent_path().filename().string() : p.filename().string();
  return name.empty() || name == "/" ? "_" : name;
}

std::string name_of_folder(std::string_view folder) {
  constexpr std::string_view k_local = "_local/";
  if (!folder.starts_with(k_local))
    return std::string(folder);
  std::string_view name = folder.substr(k_local.size());
  constexpr size_t k_suffix = 9;  // "-" and the 8 hex digits of the path's hash
  if (name.size() > k_suffix && name[name.size() - k_suffix] == '-' &&
      std::all_of(name.end() - k_suffix + 1, name.end(),
                  [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }))
    name.remove_suffix(k_suffix);
  return std::string(name);
}

std::string published_repository(std::string_view stored, std::string_view folder) {
  if (stored.empty() || stored == folder)
    return name_of_folder(folder);
  if (stored.front() == '/')
    return local_path_name(stored);
  return strip_userinfo(stored);
}

}  // namespace g2d
