#include "llm/backend.hpp"

#include "core/enum_names.hpp"

namespace g2d::llm {

constexpr auto k_role_names = enum_names<Role>(
    {{Role::system, "system"}, {Role::user, "user"}, {Role::assistant, "assistant"}});

std::string_view to_string(Role role) {
  return name_of(k_role_names, role, "user");
}

Result<void> Backend::probe() {
  auto info = model_info();
  if (!info)
    return tl::unexpected(info.error());
  return {};
}

void Backend::end_prefix(const std::string&) {}

std::vector<EndpointStatus> Backend::endpoints() const {
  return {};
}

}  // namespace g2d::llm
