#include "core/error.hpp"

#include "core/enum_names.hpp"

namespace g2d {

constexpr auto k_error_kind_names = enum_names<ErrorKind>({
    {ErrorKind::invalid_argument, "invalid argument"},
    {ErrorKind::config, "config"},
    {ErrorKind::io, "io"},
    {ErrorKind::not_found, "not found"},
    {ErrorKind::store, "store"},
    {ErrorKind::model_missing, "model missing"},
    {ErrorKind::model_invalid, "model invalid"},
    {ErrorKind::context_overflow, "context overflow"},
    {ErrorKind::cancelled, "cancelled"},
    {ErrorKind::unavailable, "unavailable"},
    {ErrorKind::timeout, "timeout"},
    {ErrorKind::rejected, "rejected"},
    {ErrorKind::bad_output, "bad output"},
    {ErrorKind::internal, "internal"},
});

std::string_view to_string(ErrorKind kind) {
  return name_of(k_error_kind_names, kind, "unknown");
}

std::string Error::describe() const {
  return fmt::format("{}: {}", to_string(kind), message);
}

}  // namespace g2d
