// core/enum_names.hpp — an enum's names in one constexpr table of {value, name}, read both ways:
// name_of(table, value, fallback) for to_string(), value_of(table, name) for the parsers, and the
// table itself for listing every value. One table per enum, so a name is written once.
//
//   constexpr auto k_role_names = enum_names<Role>({{Role::system, "system"}, ...});
//   std::string_view to_string(Role r) { return name_of(k_role_names, r, "user"); }
//
// Ownership: tables are constexpr data with static storage. Thread-safety: pure functions.
// Errors: none — a value missing from the table gives `fallback`, an unknown name nullopt.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

namespace g2d {

template <typename E>
struct EnumName {
  E value;
  std::string_view name;
};

template <typename E, std::size_t N>
using EnumNames = std::array<EnumName<E>, N>;

// The table of `entries`, in their order (the order listings show).
template <typename E, std::size_t N>
constexpr EnumNames<E, N> enum_names(const EnumName<E> (&entries)[N]) {
  EnumNames<E, N> table{};
  for (std::size_t i = 0; i < N; ++i)
    table[i] = entries[i];
  return table;
}

template <typename E, std::size_t N>
constexpr std::string_view name_of(const EnumNames<E, N>& table, E value,
                                   std::string_view fallback) {
  for (const auto& entry : table)
    if (entry.value == value)
      return entry.name;
  return fallback;
}

template <typename E, std::size_t N>
constexpr std::optional<E> value_of(const EnumNames<E, N>& table, std::string_view name) {
  for (const auto& entry : table)
    if (entry.name == name)
      return entry.value;
  return std::nullopt;
}

}  // namespace g2d
