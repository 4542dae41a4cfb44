// dataset/output_file.hpp — a file the export writes at a path the user gave, written without
// destroying what is there. Only a regular file (or a missing path) is replaced atomically: the
// bytes go to a temporary file beside it, are fsync'd, and the temporary file is renamed over it
// only when complete, so a crash or an error leaves the earlier file intact. A character or block
// device or a FIFO is written in place, as a stream (opened for writing, never replaced: /dev/null
// stays /dev/null, a FIFO's reader gets every line). A symlink is written through: the rule
// applies to the file it leads to (resolved link by link), which is replaced atomically, and the
// symlink stays. A directory or a socket is refused by name.
//
// A path naming an open descriptor of this process — /dev/stdout, /dev/stderr, /dev/fd/N,
// /proc/self/fd/N — is that descriptor, written as a stream where it stands (duplicated, never
// re-opened: `export -o /dev/stdout >> all.jsonl` appends, as the shell asked).
//
// A file the export names itself beside the output (the validation split, the dataset card) is
// written only over a regular file or a missing path, never through a symlink or into a FIFO or
// device someone put there.
//
// Temporary files are named "<target>.tmp-<pid>-<n>-<host>". Those a killed export left beside the
// same target are removed when the next export writes it: only when their host is this one and
// their process is gone (sys::process_gone) — a live export's file, another host's and a name
// without a host are never touched.
//
// Ownership: OutputFile owns its file descriptor, its writer thread and its temporary file (removed
// unless published). Thread-safety: one thread per OutputFile.
// Errors: io naming the path (a directory, a socket, a file that cannot be written or renamed).
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "core/error.hpp"
#include "sys/fd.hpp"

namespace g2d::dataset {

class BlockWriter;

// How a path is written, decided on its file type (std::filesystem::status: a symlink followed).
enum class WriteMode {
  replace,  // missing or a regular file: a temporary file renamed over it
  stream,   // a character or block device or a FIFO: written in place
};

// The write mode for a path of `type`; io naming `path` for a type that cannot be written (a
// directory, a socket, an unknown type).
Result<WriteMode> write_mode_for(const std::filesystem::path& path,
                                 std::filesystem::file_type type);

// Who chose a path: the user (any kind the rules above allow), or the export itself (beside the
// user's output: only a regular file or a missing path).
enum class Origin { named, derived };

// How `target` would be written (what create() decides, without opening anything).
Result<WriteMode> output_mode(const std::filesystem::path& target, Origin origin = Origin::named);

class OutputFile {
 public:
  // Opens `target` for writing as its type says (a FIFO's open waits for a reader). The folder of
  // a missing target is created.
  static Result<OutputFile> create(const std::filesystem::path& target,
                                   Origin origin = Origin::named);

  OutputFile(OutputFile&& other) noexcept;
  OutputFile& operator=(OutputFile&&) = delete;
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  ~OutputFile();

  // Appends bytes (whole lines, each with its newline). False once a write has failed; finish()
  // then says why.
  bool write(std::string_view bytes);

  // Writes what is left, syncs (a regular file) and closes the file.
  Status finish();

  // Renames the finished temporary file over the target; nothing for a stream.
  Status publish();

  // The path as given (what the user named).
  const std::filesystem::path& target() const { return m_target; }
  WriteMode mode() const { return m_mode; }

 private:
  OutputFile(std::filesystem::path target, std::filesystem::path destination,
             std::filesystem::path temp, WriteMode mode, sys::Fd fd);

  std::filesystem::path m_target;
  std::filesystem::path m_destination;  // what is replaced: the target with symlinks resolved
  std::filesystem::path m_temp;         // empty for a stream
  WriteMode m_mode;
  sys::Fd m_fd;
  std::unique_ptr<BlockWriter> m_writer;
  bool m_published = false;
};

// Removes the temporary files of `target` (see above) whose process is gone on this host; returns
// how many went.
int remove_stale_temporaries(const std::filesystem::path& target);

}  // namespace g2d::dataset
