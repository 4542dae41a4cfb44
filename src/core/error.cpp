#include "core/error.hpp"

namespace g2d {

std::string_view to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::invalid_argument:
      return "invalid argument";
    case ErrorKind::config:
      return "config";
    case ErrorKind::io:
      return "io";
    case ErrorKind::not_found:
      return "not found";
    case ErrorKind::store:
      return "store";
    case ErrorKind::model_missing:
      return "model missing";
    case ErrorKind::model_invalid:
      return "model invalid";
    case ErrorKind::context_overflow:
      return "context overflow";
    case ErrorKind::cancelled:
      return "cancelled";
    case ErrorKind::unavailable:
      return "unavailable";
    case ErrorKind::timeout:
      return "timeout";
    case ErrorKind::rejected:
      return "rejected";
    case ErrorKind::bad_output:
      return "bad output";
    case ErrorKind::internal:
      return "internal";
  }
  return "unknown";
}

std::string Error::describe() const {
  return fmt::format("{}: {}", to_string(kind), message);
}

}  // namespace g2d
