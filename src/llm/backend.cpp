#include "llm/backend.hpp"

namespace g2d::llm {

std::string_view to_string(Role role) {
  switch (role) {
    case Role::system:
      return "system";
    case Role::user:
      return "user";
    case Role::assistant:
      return "assistant";
  }
  return "user";
}

}  // namespace g2d::llm
