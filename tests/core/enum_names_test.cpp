// core/enum_names: one table read both ways, the fallback for a value it lacks, and the order.
#include "core/enum_names.hpp"

#include <gtest/gtest.h>

namespace g2d {
namespace {

enum class Colour { red, green, blue, unlisted };

constexpr auto k_colour_names = enum_names<Colour>({
    {Colour::red, "red"},
    {Colour::green, "green"},
    {Colour::blue, "dark blue"},
});

TEST(EnumNamesTest, NamesAndValuesBothWays) {
  EXPECT_EQ(name_of(k_colour_names, Colour::green, "?"), "green");
  EXPECT_EQ(name_of(k_colour_names, Colour::blue, "?"), "dark blue");
  EXPECT_EQ(value_of(k_colour_names, "dark blue"), Colour::blue);
  EXPECT_EQ(value_of(k_colour_names, "red"), Colour::red);
  static_assert(name_of(k_colour_names, Colour::red, "?") == "red");
  for (const auto& [value, name] : k_colour_names)
    EXPECT_EQ(value_of(k_colour_names, name), value) << name;
}

TEST(EnumNamesTest, UnknownValuesAndNames) {
  EXPECT_EQ(name_of(k_colour_names, Colour::unlisted, "none"), "none");
  EXPECT_EQ(value_of(k_colour_names, "blue"), std::nullopt);
  EXPECT_EQ(value_of(k_colour_names, "Red"), std::nullopt);  // exact, case and all
  EXPECT_EQ(value_of(k_colour_names, ""), std::nullopt);
}

TEST(EnumNamesTest, TheTableKeepsItsOrder) {
  ASSERT_EQ(k_colour_names.size(), 3U);
  EXPECT_EQ(k_colour_names[0].value, Colour::red);
  EXPECT_EQ(k_colour_names[2].name, "dark blue");
}

}  // namespace
}  // namespace g2d
