#include "llm/backend.hpp"

#include "core/enum_names.hpp"

namespace g2d::llm {

constexpr auto k_role_names = enum_names<Role>(
    {{Role::system, "system"}, {Role::user, "user"}, {Role::assistant, "assistant"}});

std::string_view to_string(Role role) {
  return name_of(k_role_names, role, "user");
}

}  // namespace g2d::llm
