// core/error.hpp — the project's error vocabulary.
//
// Recoverable failures are values: Result<T> = tl::expected<T, Error>. An Error carries a small
// kind (what the caller may branch on: retry, re-chunk, give up) and a human message that names
// what was wrong and where. Two exception types exist for what cannot be recovered and is caught
// once, in app::run: UsageError (bad flags or config: exit 2) and Fatal (exit 1).
//
// Thread-safety: plain values; safe to copy across threads.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <tl/expected.hpp>

namespace g2d {

enum class ErrorKind {
  invalid_argument,  // a caller passed something malformed
  config,            // the configuration is invalid
  io,                // a file or directory operation failed
  not_found,         // something named does not exist
  store,             // the database failed or holds something unexpected
  model_missing,     // the model file does not exist
  model_invalid,     // the model file exists but cannot be loaded
  context_overflow,  // a prompt does not fit the model's context window
  cancelled,         // the caller cancelled the operation
  unavailable,       // a backend or server cannot be reached
  timeout,           // no progress for longer than the idle timeout
  rejected,          // the backend refused the request
  bad_output,        // the model produced output that does not match what was asked
  internal,          // a bug: an invariant did not hold
};

std::string_view to_string(ErrorKind kind);

struct Error {
  ErrorKind kind;
  std::string message;

  std::string describe() const;  // "kind: message"
};

template <class T>
using Result = tl::expected<T, Error>;
using Status = tl::expected<void, Error>;

// Builds an unexpected Error: `return fail(ErrorKind::io, "cannot open {}", path);`
template <class... Args>
tl::unexpected<Error> fail(ErrorKind kind, fmt::format_string<Args...> format, Args&&... args) {
  return tl::unexpected<Error>(Error{kind, fmt::format(format, std::forward<Args>(args)...)});
}

// Bad usage or configuration: reported as-is, exit code 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An unrecoverable failure of this run: reported as-is, exit code 1.
class Fatal : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace g2d
