#include "dataset/licence.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <vector>

#include "sys/safe_read.hpp"

namespace g2d::dataset {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t k_max_licence_bytes = std::uint64_t{1} << 20;

// Lower case with every run of white space as one space: licence files wrap lines anywhere.
std::string folded(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (unsigned char c : text) {
    if (std::isspace(c) != 0) {
      space = !out.empty();
      continue;
    }
    if (space)
      out += ' ';
    space = false;
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

bool has(std::string_view text, std::string_view phrase) {
  return text.find(phrase) != std::string_view::npos;
}

}  // namespace

std::string spdx_of(std::string_view raw) {
  std::string t = folded(raw);
  // The GNU family first: their texts mention other licences.
  if (has(t, "gnu affero general public license"))
    return has(t, "version 3") ? "AGPL-3.0" : "";
  if (has(t, "gnu lesser general public license"))
    return has(t, "version 3") ? "LGPL-3.0" : (has(t, "version 2.1") ? "LGPL-2.1" : "");
  if (has(t, "gnu library general public license"))
    return "LGPL-2.0";
  if (has(t, "gnu general public license"))
    return has(t, "version 3") ? "GPL-3.0" : (has(t, "version 2") ? "GPL-2.0" : "");
  if (has(t, "apache license") && has(t, "version 2.0"))
    return "Apache-2.0";
  if (has(t, "mozilla public license") && has(t, "2.0"))
    return "MPL-2.0";
  if (has(t, "eclipse public license") && has(t, "2.0"))
    return "EPL-2.0";
  if (has(t, "boost software license"))
    return "BSL-1.0";
  if (has(t, "this is free and unencumbered software released into the public domain"))
    return "Unlicense";
  if (has(t, "cc0 1.0 universal") || has(t, "creative commons legal code cc0"))
    return "CC0-1.0";
  if (has(t, "permission is hereby granted, free of charge, to any person obtaining a copy"))
    return "MIT";
  if (has(t, "permission to use, copy, modify, and/or distribute this software for any purpose") ||
      has(t, "permission to use, copy, modify, and distribute this software for any purpose"))
    return "ISC";
  if (has(t, "redistribution and use in source and binary forms")) {
    if (has(t, "neither the name") || has(t, "names of its contributors may be used"))
      return "BSD-3-Clause";
    return "BSD-2-Clause";
  }
  if (has(t, "this software is provided 'as-is'") && has(t, "altered source versions must be"))
    return "Zlib";
  return "";
}

Licence detect_licence(const fs::path& repository) {
  static constexpr std::array<std::string_view, 3> k_stems{"license", "licence", "copying"};
  static constexpr std::array<std::string_view, 3> k_suffixes{"", ".md", ".txt"};
  std::error_code ec;
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& entry : fs::directory_iterator(repository, ec)) {
    std::string name = entry.path().filename().string();
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    files.emplace_back(lower, name);
  }
  for (std::string_view suffix : k_suffixes)
    for (std::string_view stem : k_stems)
      for (const auto& [lower, name] : files) {
        if (lower != std::string(stem) + std::string(suffix))
          continue;
        // Repository content: a symlink, a fifo or a device is never read, nor more than 1 MiB.
        auto text = sys::read_regular_file(repository, name, k_max_licence_bytes);
        if (!text)
          continue;
        return Licence{name, spdx_of(*text)};
      }
  return {};
}

}  // namespace g2d::dataset
