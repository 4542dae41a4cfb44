// core/file.hpp — reading a small file that a user named (the configuration, repos.txt, a prompt
// template) without trusting what it is: only a regular file is read, never more than a limit.
//
// A FIFO, a device (/dev/zero, a terminal), a socket or a directory is refused at once: the file
// is opened non-blocking and checked with fstat before anything is read, so naming one can neither
// hang nor exhaust memory. A file larger than the limit (or one that grows past it while being
// read) is refused without reading the rest.
//
// Thread-safety: reentrant. Errors: not_found (no such file), io (not a regular file, cannot be
// opened or read), invalid_argument (larger than the limit); every message starts with the path
// and names the file by `what` ("configuration file", "prompt").
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace g2d {

Result<std::string> read_small_file(const std::filesystem::path& path, std::size_t max_bytes,
                                    std::string_view what);

// "1 MiB", "64 KiB", "1000 bytes": a limit as a person reads it.
std::string format_limit(std::size_t bytes);

}  // namespace g2d
