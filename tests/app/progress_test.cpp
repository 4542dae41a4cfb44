// The progress bar's line: the bar's fill, the counts, the rate and ETA, and the width it keeps.
#include "app/progress.hpp"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/utf8.hpp"

namespace g2d::app {
namespace {

using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// Columns: what the terminal shows.
size_t shown(const std::string& s) {
  return static_cast<size_t>(display_width(s));
}

TEST(Progress, TheLineOfTheExample) {
  ProgressLine p;
  p.total = 400;
  p.done = 117;
  p.failed = 3;
  p.files_per_minute = 2.1;
  // 280 files left at 2.1 files/min: 8000 s.
  EXPECT_EQ(format_progress(p, 100),
            "prepare [#########.....................] 120/400 files · 3 failed · 2.1 files/min · "
            "ETA 2h13m");
}

TEST(Progress, TheBarShrinksToTheWidthAndTheLineIsCutWhenItMust) {
  ProgressLine p;
  p.total = 10;
  p.done = 5;
  p.files_per_minute = 1;
  std::string wide = format_progress(p, 200);
  EXPECT_THAT(wide, StartsWith("prepare [###############...............] 5/10 files"));
  std::string narrow = format_progress(p, 60);
  EXPECT_LE(shown(narrow), 60u);
  EXPECT_THAT(narrow, StartsWith("prepare [#####.....] 5/10 files"));
  std::string tiny = format_progress(p, 20);
  EXPECT_EQ(shown(tiny), 20u);
  EXPECT_EQ(tiny, "prepare [#####.....]");
  for (int columns = 1; columns < 120; ++columns)
    EXPECT_LE(shown(format_progress(p, columns)), static_cast<size_t>(columns));
}

TEST(Progress, WideCharactersCountTwoColumnsAndAreNeverCutInHalf) {
  ProgressLine p;
  p.total = 10;
  p.done = 5;
  p.paused = "\xE7\x94\xB5\xE6\xB1\xA0 \xF0\x9F\x94\x8B low";  // "电池 🔋 low"
  std::string wide = format_progress(p, 200);
  EXPECT_THAT(wide, EndsWith("paused: \xE7\x94\xB5\xE6\xB1\xA0 \xF0\x9F\x94\x8B low"));
  for (int columns = 20; columns < 120; ++columns) {
    std::string line = format_progress(p, columns);
    EXPECT_LE(shown(line), static_cast<size_t>(columns)) << line;
    EXPECT_TRUE(valid_utf8(line)) << line;
  }
  // 10 files at 80 columns: the bar keeps room for the text as the terminal shows it.
  std::string line = format_progress(p, 80);
  EXPECT_EQ(shown(line), 80u) << line;
}

TEST(Progress, NoRateYetMeansNoEta) {
  ProgressLine p;
  p.total = 3;
  std::string line = format_progress(p, 100);
  EXPECT_THAT(line, HasSubstr("0/3 files · 0 failed · -- files/min"));
  EXPECT_THAT(line, Not(HasSubstr("ETA")));
  EXPECT_THAT(line, StartsWith("prepare [....."));
}

TEST(Progress, AFinishedRunHasNoEtaAndAFullBar) {
  ProgressLine p;
  p.total = 2;
  p.done = 2;
  p.files_per_minute = 4;
  std::string line = format_progress(p, 100);
  EXPECT_THAT(line, EndsWith("2/2 files · 0 failed · 4.0 files/min"));
  EXPECT_THAT(line, HasSubstr("[##########"));
  EXPECT_THAT(line, Not(HasSubstr(".]")));
}

TEST(Progress, NothingPlannedIsAnEmptyBar) {
  ProgressLine p;
  EXPECT_THAT(format_progress(p, 100), StartsWith("prepare [.........."));
}

TEST(Progress, APauseIsShownWithItsReason) {
  ProgressLine p;
  p.total = 4;
  p.done = 1;
  p.files_per_minute = 0.5;
  p.paused = "on battery at 15% (below 20%)";
  EXPECT_THAT(format_progress(p, 200),
              EndsWith("1/4 files · 0 failed · 0.5 files/min · ETA 6m00s · paused: on battery at "
                       "15% (below 20%)"));
}

TEST(Progress, Durations) {
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(-5), "0s");
  EXPECT_EQ(format_duration(59), "59s");
  EXPECT_EQ(format_duration(60), "1m00s");
  EXPECT_EQ(format_duration(725), "12m05s");
  EXPECT_EQ(format_duration(3600), "1h00m");
  EXPECT_EQ(format_duration(8000), "2h13m");
  EXPECT_EQ(format_duration(86400 + 4 * 3600 + 59), "1d04h");
}

}  // namespace
}  // namespace g2d::app
