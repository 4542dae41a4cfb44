// dataset/licence.hpp — the licence of a repository, read from its licence file (LICENSE,
// LICENCE, COPYING, with or without .md / .txt, any case) and named by its SPDX identifier when
// the text is one of the common licences (MIT, Apache-2.0, BSD-2/3-Clause, GPL/LGPL/AGPL,
// MPL-2.0, ISC, Unlicense, CC0-1.0, BSL-1.0, Zlib, EPL-2.0). The dataset card lists it per
// repository, so users know what they train on.
//
// Thread-safety: pure functions (detect_licence reads files).
// Errors: none; a missing file gives an empty Licence, and a candidate that is not a regular file
// (a symlink, fifo or device: repository content is hostile input), is over 1 MiB or cannot be
// read is passed over (sys/safe_read.hpp).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace g2d::dataset {

struct Licence {
  std::string file;  // the licence file's name in the repository; empty: none found
  std::string spdx;  // SPDX identifier; empty: not recognised
};

// The SPDX identifier of a licence text, or "" when it is not recognised.
std::string spdx_of(std::string_view text);

// The licence file at the top of `repository` (the first of LICENSE, LICENCE, COPYING in that
// order, then their .md / .txt forms) and its SPDX identifier.
Licence detect_licence(const std::filesystem::path& repository);

}  // namespace g2d::dataset
