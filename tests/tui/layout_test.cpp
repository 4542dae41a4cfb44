// The dashboard's layout against the Frame it renders into (the capturing render target): the
// panels' text at 80×24, 100×30 and 160×50, the log's tail and its scrolling, the failures overlay,
// a finished run's summary, the pause states, a terminal too small, and text that never leaves its
// panel or the frame.
#include "tui/layout.hpp"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "fixtures.hpp"
#include "support.hpp"
#include "sys/logging.hpp"
#include "tui/log_tail.hpp"

namespace g2d::tui {
namespace {

using testing::finished_snapshot;
using ::testing::HasSubstr;
using testing::live_snapshot;
using ::testing::Not;
using testing::row_of;

struct Size {
  int cols;
  int rows;
};
const std::vector<Size> k_sizes = {{80, 24}, {100, 30}, {160, 50}};

std::string dump(const Frame& f) {
  return "\n" + f.text();
}

// Every row is exactly the frame's width, and every panel's right edge is a border: no text ran
// over its panel or out of the frame.
void expect_contained(const Frame& f) {
  for (int r = 0; r < f.rows(); ++r)
    EXPECT_EQ(display_width(f.row_text(r)), f.cols()) << "row " << r << dump(f);
  // The right edge, from the top panels to the log's bottom.
  for (int r = 1; r < f.rows() - 1; ++r) {
    std::string edge = f.at(f.cols() - 1, r).text;
    EXPECT_TRUE(edge == "│" || edge == "┐" || edge == "┘")
        << "row " << r << ": " << edge << dump(f);
  }
  // The left column's right edge, in the system and progress panels.
  int split = static_cast<int>(f.row_text(1).find("┐"));
  ASSERT_GT(split, 0) << dump(f);
  int split_col = display_width(f.row_text(1).substr(0, static_cast<size_t>(split)));
  int log_top = row_of(f, "┌ Log");
  ASSERT_GT(log_top, 0) << dump(f);
  for (int r = 1; r < log_top; ++r) {
    std::string edge = f.at(split_col, r).text;
    EXPECT_TRUE(edge == "│" || edge == "┐" || edge == "┘") << "row " << r << dump(f);
  }
}

TEST(Layout, EverySizeShowsEveryPanelWithTheSnapshotsNumbers) {
  Snapshot s = live_snapshot();
  for (auto [cols, rows] : k_sizes) {
    SCOPED_TRACE(std::to_string(cols) + "x" + std::to_string(rows));
    Frame f = render(s, {}, cols, rows);
    ASSERT_EQ(f.cols(), cols);
    ASSERT_EQ(f.rows(), rows);
    std::string header = f.row_text(0);
    EXPECT_THAT(header, HasSubstr("git2dataset"));
    EXPECT_THAT(header, HasSubstr(" running "));
    EXPECT_THAT(header, HasSubstr("openai · fake-model"));
    EXPECT_THAT(header, HasSubstr("elapsed 2m05s"));
    EXPECT_THAT(header, Not(HasSubstr("pause")));

    EXPECT_EQ(row_of(f, "┌ System"), 1) << dump(f);
    EXPECT_EQ(row_of(f, "┌ Pipeline"), 1) << dump(f);
    EXPECT_GT(row_of(f, "CPU     23.4%"), 1) << dump(f);
    EXPECT_GT(row_of(f, "GPU     45% · vram "), 1) << dump(f);
    EXPECT_GT(row_of(f, "Battery none"), 1) << dump(f);
    EXPECT_GT(row_of(f, "Pid     4242"), 1) << dump(f);
    EXPECT_GT(row_of(f, "Beat    1s ago"), 1) << dump(f);

    EXPECT_GT(row_of(f, "Repos   2 in this run"), 1) << dump(f);
    EXPECT_GT(row_of(f, "Files   12 done  3 pending  1 failed"), 1) << dump(f);
    EXPECT_GT(row_of(f, "Run     10 of 40 done  1 failed  5 unchanged"), 1) << dump(f);
    EXPECT_GT(row_of(f, "Q&A     55 questions  50 answers"), 1) << dump(f);
    EXPECT_GT(row_of(f, "Samples 120 live  4 retired"), 1) << dump(f);
    EXPECT_GT(row_of(f, "Failed  1 file (f lists them)"), 1) << dump(f);
    EXPECT_GT(row_of(f, "Skipped not_source 7  sensitive 1"), 1) << dump(f);

    int progress = row_of(f, "┌ Progress · 2 in flight");
    EXPECT_GT(progress, 1) << dump(f);
    EXPECT_GT(row_of(f, "Rate    5.3 files/min"), progress) << dump(f);
    EXPECT_GT(row_of(f, "ETA     5m29s"), progress) << dump(f);
    int parser = row_of(f, "/src/parser.c");
    EXPECT_GT(parser, progress) << dump(f);
    EXPECT_THAT(f.row_text(parser), HasSubstr("1m05s"));
    int b = row_of(f, "github.com/o/r/b.py");
    EXPECT_EQ(b, parser + 1) << dump(f);
    EXPECT_THAT(f.row_text(b), HasSubstr("3s"));

    EXPECT_EQ(row_of(f, "┌ Progress bars"), progress) << dump(f);
    int total = row_of(f, "Total   11/40 files  27%  (1 failed)");
    EXPECT_EQ(total, progress + 1) << dump(f);
    EXPECT_THAT(f.row_text(total + 1), HasSubstr("█░")) << dump(f);
    EXPECT_EQ(row_of(f, "Repo    github.com/o/r  7/20 files  35%"), total + 2) << dump(f);

    EXPECT_THAT(f.row_text(rows - 1),
                HasSubstr("q quit  p pause  f failures  ↑↓ log │ /data/g2d.db"));
    expect_contained(f);
  }
}

// Several servers: a line each under the bars, as room allows (the first at every size), a server
// that is out in red with why.
TEST(Layout, EachServerOfTheRunHasALineUnderTheBars) {
  Snapshot s = live_snapshot();
  s.live->endpoints = {
      {"http://gpu1:8080", "qwen", "up", "", 2, 4, 30, 1, 40000, 31000, 2000},
      {"http://gpu2:8080", "qwen", "down", "refused", 0, 4, 7, 3, 9000, 6000, 500}};
  for (auto [cols, rows] : k_sizes) {
    SCOPED_TRACE(std::to_string(cols) + "x" + std::to_string(rows));
    Frame f = render(s, {}, cols, rows);
    int first = row_of(f, "Server  gpu1:8080 up 2/4");
    EXPECT_GT(first, row_of(f, "Repo    github.com/o/r")) << dump(f);
    expect_contained(f);
    if (rows < 30)
      continue;
    EXPECT_THAT(f.row_text(first), HasSubstr("30 calls  77% reused")) << dump(f);
    int second = row_of(f, "Server  gpu2:8080 down");
    EXPECT_EQ(second, first + 1) << dump(f);
    const std::string text = f.row_text(second);
    int col = display_width(text.substr(0, text.find("down")));
    EXPECT_EQ(f.at(col, second).style.color, Color::red) << dump(f);
  }
}

TEST(Layout, TheLogPaneShowsTheLastLinesAndScrollingMovesIt) {
  Snapshot s = live_snapshot();
  for (auto [cols, rows] : k_sizes) {
    SCOPED_TRACE(std::to_string(cols) + "x" + std::to_string(rows));
    int shown = log_lines_shown(cols, rows);
    ASSERT_GE(shown, 4);
    Frame f = render(s, {}, cols, rows);
    int top = row_of(f, "┌ Log · /data/g2d.log");
    ASSERT_GT(top, 0) << dump(f);
    // The newest line is the pane's last; the one before the first shown is not there.
    const int last = testing::k_log_lines;
    EXPECT_EQ(row_of(f, "log line " + std::to_string(last) + " "), rows - 3) << dump(f);
    EXPECT_EQ(row_of(f, "log line " + std::to_string(last + 1 - shown) + " "), top + 1) << dump(f);
    EXPECT_EQ(row_of(f, "log line " + std::to_string(last - shown) + " "), -1) << dump(f);

    ViewState v;
    v.log_scroll = 5;
    f = render(s, v, cols, rows);
    EXPECT_EQ(row_of(f, "log line " + std::to_string(last - 5) + " "), rows - 3) << dump(f);
    EXPECT_EQ(row_of(f, "log line " + std::to_string(last) + " "), -1) << dump(f);
    EXPECT_GT(row_of(f, "5 lines up"), 0) << dump(f);

    v.log_scroll = 1000;  // past the oldest: stops at it
    f = render(s, v, cols, rows);
    EXPECT_EQ(row_of(f, "log line 1 "), top + 1) << dump(f);
    expect_contained(f);
  }
}

TEST(Layout, LogLinesAreColouredByLevelAndMadePrintable) {
  Snapshot s = live_snapshot();
  s.log_lines = {"2024-05-01T12:00:00.000 error [7] it broke",
                 "2024-05-01T12:00:01.000 warning [7] careful",
                 "2024-05-01T12:00:02.000 info [7] a \x1b[31mred\x1b[0m name",
                 "not the log's pattern [x] kept as it is"};
  Frame f = render(s, {}, 80, 24);
  int error = row_of(f, "│ 12:00:00 error it broke ");
  ASSERT_GT(error, 0) << dump(f);
  EXPECT_EQ(row_of(f, "│ 12:00:01 warning careful "), error + 1) << dump(f);
  EXPECT_EQ(row_of(f, "│ not the log's pattern [x] kept as it is "), error + 3) << dump(f);
  EXPECT_EQ(f.at(2, error).style.color, Color::red);
  EXPECT_EQ(f.at(2, error + 1).style.color, Color::yellow);
  EXPECT_GT(row_of(f, "a \\x1b[31mred\\x1b[0m name"), 0) << dump(f);
  EXPECT_THAT(f.text(), Not(HasSubstr("\x1b")));
}

// Raw control characters (a log written by something else) are escaped; a message the log holds
// already escaped (as sys/logging.cpp writes every message) is shown as written, not escaped
// twice.
TEST(Layout, TheLogPaneShowsNoRawControlCharacterAndEscapedTextAsWritten) {
  Snapshot s = live_snapshot();
  s.log_lines = {
      "2024-05-01T12:00:00.000 error [7] raw \x1b]0;t\x07 \xE2\x80\xAE"
      "cod.exe \xE2\x80\x8F "
      "\xC2\x9B \x7f cr\rlf",
      "2024-05-01T12:00:01.000 warning [7] escaped \\x1b[31m \\u{202E}"};
  Frame f = render(s, {}, 100, 30);
  EXPECT_GT(row_of(f, "raw \\x1b]0;t\\x07 \\u{202E}cod.exe \\u{200F} \\u{009B} \\x7f cr\\rlf"), 0)
      << dump(f);
  EXPECT_GT(row_of(f, "warning escaped \\x1b[31m \\u{202E} "), 0) << dump(f);
  for (std::string_view raw :
       {"\x1b", "\x07", "\r", "\x7f", "\xC2\x9B", "\xE2\x80\xAE", "\xE2\x80\x8F"})
    EXPECT_THAT(f.text(), Not(HasSubstr(std::string(raw))));
}

// From end to end: a hostile message logged by the process (sys/logging.cpp), read back from the
// log file as the dashboard reads it (LogTail), and rendered in the log pane.
TEST(Layout, AHostileMessageLoggedToTheFileReachesTheLogPaneEscaped) {
  auto saved = spdlog::default_logger();
  test::TempDir tmp;
  sys::init_logging(-1, false);
  sys::attach_log_file(tmp / "git2dataset.log");
  spdlog::warn("server said: {}",
               "\x1b]0;pwned\x07 \xE2\x80\xAE"
               "exe.txt\r\nforged line");
  spdlog::default_logger()->flush();
  spdlog::set_default_logger(saved);
  LogTail tail(tmp / "git2dataset.log");
  tail.refresh();
  ASSERT_EQ(tail.lines().size(), 1u) << tail.note();
  Snapshot s = live_snapshot();
  s.log_lines = tail.lines();
  Frame f = render(s, {}, 100, 30);
  EXPECT_GT(row_of(f, "warning server said: \\x1b]0;pwned\\x07 \\u{202E}exe.txt\\r\\nforged line"),
            0)
      << dump(f);
  for (std::string_view raw : {"\x1b", "\x07", "\r", "\xE2\x80\xAE"})
    EXPECT_THAT(f.text(), Not(HasSubstr(std::string(raw))));
}

TEST(Layout, TheFailuresOverlayListsPathsAndErrors) {
  Snapshot s = live_snapshot();
  for (int i = 0; i < 30; ++i) {
    store::FailedRecord f;
    f.file_path = "github.com/o/r/gen/f" + std::to_string(i) + ".c";
    f.error_kind = "bad_output";
    f.error_message = "not JSON " + std::to_string(i);
    f.retry_count = 1;
    s.failures.push_back(f);
  }
  for (auto [cols, rows] : k_sizes) {
    SCOPED_TRACE(std::to_string(cols) + "x" + std::to_string(rows));
    ViewState v;
    v.failures_open = true;
    Frame f = render(s, v, cols, rows);
    int top = row_of(f, "Failed files (31) · f or Esc closes");
    ASSERT_GT(top, 0) << dump(f);
    int path = row_of(f, "github.com/o/r/src/broken.c");
    EXPECT_EQ(path, top + 1) << dump(f);
    EXPECT_EQ(row_of(f, "timeout: no progress for 300 s (failed 2x)"), path + 1) << dump(f);
    int per_page = failures_shown(cols, rows);
    EXPECT_GT(row_of(f, "gen/f" + std::to_string(per_page - 2) + ".c"), 0) << dump(f);
    EXPECT_EQ(row_of(f, "gen/f" + std::to_string(per_page - 1) + ".c"), -1) << dump(f);
    EXPECT_EQ(row_of(f, "Q&A "), -1) << "the overlay covers the panels" << dump(f);

    v.failures_scroll = 3;
    f = render(s, v, cols, rows);
    EXPECT_EQ(row_of(f, "broken.c"), -1) << dump(f);
    EXPECT_EQ(row_of(f, "github.com/o/r/gen/f2.c"), top + 1) << dump(f);
    for (int r = 0; r < f.rows(); ++r)
      EXPECT_EQ(display_width(f.row_text(r)), cols);
  }
}

TEST(Layout, AFinishedRunShowsItsSummary) {
  Snapshot s = finished_snapshot();
  for (auto [cols, rows] : k_sizes) {
    SCOPED_TRACE(std::to_string(cols) + "x" + std::to_string(rows));
    Frame f = render(s, {}, cols, rows);
    EXPECT_THAT(f.row_text(0), HasSubstr(" finished "));
    EXPECT_THAT(f.row_text(0), HasSubstr("took 2m00s"));
    int summary = row_of(f, "┌ Summary");
    ASSERT_GT(summary, 0) << dump(f);
    EXPECT_EQ(row_of(f, "Finished after 2m00s"), summary + 1) << dump(f);
    EXPECT_EQ(row_of(f, "Done    38 of 40"), summary + 2) << dump(f);
    EXPECT_EQ(row_of(f, "Failed  2"), summary + 3) << dump(f);
    EXPECT_EQ(row_of(f, "Rate    20.0 files/min"), summary + 4) << dump(f);
    EXPECT_EQ(row_of(f, "in flight"), -1) << dump(f);
    EXPECT_EQ(row_of(f, "Beat"), -1) << dump(f);
    EXPECT_GT(row_of(f, "Total   40/40 files  100%  (2 failed)"), 0) << dump(f);
    expect_contained(f);
  }
}

TEST(Layout, AnInterruptedRunSaysSo) {
  Snapshot s = live_snapshot();
  s.view = store::view_run(s.run, testing::k_now, /*process_gone=*/true);
  Frame f = render(s, {}, 80, 24);
  EXPECT_THAT(f.row_text(0), HasSubstr(" interrupted "));
  int r = row_of(f, "Interrupted after 2m04s");
  ASSERT_GT(r, 0) << dump(f);
  EXPECT_EQ(f.at(2, r).style.color, Color::red);
}

TEST(Layout, TheHeaderShowsPauseRequestedAndPausedWithItsReason) {
  Snapshot s = live_snapshot();
  s.run.pause_requested = true;
  Frame f = render(s, {}, 80, 24);
  EXPECT_THAT(f.row_text(0), HasSubstr("pause requested"));

  s.run.paused = "pause requested by the user";
  s.view = store::view_run(s.run, testing::k_now, false);
  f = render(s, {}, 100, 30);
  EXPECT_THAT(f.row_text(0), HasSubstr("paused: pause requested by the user"));

  s.run.pause_requested = false;
  s.run.paused = "on battery at 15% (below 20%)";
  s.view = store::view_run(s.run, testing::k_now, false);
  f = render(s, {}, 160, 50);
  EXPECT_THAT(f.row_text(0), HasSubstr("paused: on battery at 15% (below 20%)"));
  EXPECT_EQ(f.row_text(0).find("pause requested"), std::string::npos);
}

TEST(Layout, ADatabaseWithoutARunSaysSo) {
  Snapshot s;
  s.now_ms = testing::k_now;
  s.counts.files_done = 3;
  Frame f = render(s, {}, 80, 24);
  EXPECT_THAT(f.row_text(0), HasSubstr("no run yet"));
  EXPECT_GT(row_of(f, "No run recorded yet."), 0) << dump(f);
  EXPECT_GT(row_of(f, "Files   3 done"), 0) << dump(f);
  EXPECT_GT(row_of(f, "no log lines yet"), 0) << dump(f);
  expect_contained(f);
}

TEST(Layout, ATerminalTooSmallSaysWhatItNeedsAtEverySize) {
  Snapshot s = live_snapshot();
  Frame f = render(s, {}, 79, 24);
  EXPECT_GT(row_of(f, "terminal too small: need 80×24"), 0) << dump(f);
  EXPECT_GT(row_of(f, "this one is 79×24"), 0) << dump(f);
  f = render(s, {}, 80, 23);
  EXPECT_GT(row_of(f, "terminal too small: need 80×24"), 0) << dump(f);
  EXPECT_EQ(log_lines_shown(80, 23), 0);
  for (int cols = 0; cols < 82; cols += 3) {
    for (int rows = 0; rows < 26; rows += 5) {
      Frame small = render(s, {}, cols, rows);
      ASSERT_EQ(small.cols(), cols);
      ASSERT_EQ(small.rows(), rows);
      for (int r = 0; r < rows; ++r)
        EXPECT_EQ(display_width(small.row_text(r)), cols) << cols << "x" << rows;
    }
  }
  EXPECT_EQ(render(s, {}, -5, -5).cols(), 0);
}

TEST(Layout, LogLinesShowTheirTimeLevelAndMessage) {
  Snapshot s = live_snapshot();
  Frame f = render(s, {}, 80, 24);
  EXPECT_GT(row_of(f, "│ 12:01:00 info log line 60 "), 0) << dump(f);
  EXPECT_EQ(row_of(f, "2024-05-01"), -1) << dump(f);
}

// Long and hostile text — paths, a model name, errors, log lines, wide characters and control
// characters — is cut to its panel at every size and never moves a border.
TEST(Layout, LongAndWideTextIsCutToItsPanel) {
  Snapshot s = live_snapshot();
  std::string long_path = "github.com/o/" + std::string(200, 'd') + "/深い/ファイル名.c";
  s.run.model = "model-" + std::string(300, 'm');
  s.live->in_flight = {{long_path, testing::k_now - 1000}, {"x\x1b[2Jy.c", testing::k_now}};
  s.live->repository->name = "github.com/" + std::string(150, 'r') + "/漢字";
  s.failures[0].file_path = long_path;
  s.failures[0].error_message = std::string(500, 'e') + "\nsecond line";
  s.skips = {{std::string(90, 's'), 1}, {"too_large", 2}};
  s.log_lines.push_back("宽字符" + std::string(300, 'w') + "\t\r\x07");
  s.system.gpu_note = std::string(100, 'n');
  s.system.gpus.clear();
  for (auto [cols, rows] : std::vector<Size>{{80, 24}, {81, 25}, {100, 30}, {160, 50}, {203, 61}}) {
    SCOPED_TRACE(std::to_string(cols) + "x" + std::to_string(rows));
    Frame f = render(s, {}, cols, rows);
    expect_contained(f);
    EXPECT_THAT(f.text(), Not(HasSubstr("\x1b")));
    EXPECT_THAT(f.text(), Not(HasSubstr("\x07")));
    EXPECT_GT(row_of(f, "ファイル名.c"), 0) << "a path keeps its end" << dump(f);
    ViewState v;
    v.failures_open = true;
    Frame overlay = render(s, v, cols, rows);
    for (int r = 0; r < rows; ++r)
      EXPECT_EQ(display_width(overlay.row_text(r)), cols) << dump(overlay);
    EXPECT_GT(row_of(overlay, "ファイル名.c"), 0) << dump(overlay);
  }
}

TEST(Frame, PutCutsByDisplayWidthAndNeverWritesOutside) {
  Frame f(10, 2);
  EXPECT_EQ(f.put(0, 0, "abcdefghijklmnop"), 10);
  EXPECT_EQ(f.row_text(0), "abcdefghij");
  EXPECT_EQ(f.put(8, 1, "漢字"), 2);  // the second one does not fit whole
  EXPECT_EQ(f.row_text(1), "        漢");
  EXPECT_TRUE(f.at(9, 1).wide_tail);
  EXPECT_EQ(f.put(-1, 1, "xyz"), 3);  // its advance, from the column asked for
  EXPECT_EQ(f.row_text(1).substr(0, 2), "yz");
  EXPECT_EQ(f.put(0, 5, "nowhere"), 0);
  EXPECT_EQ(f.put(3, 0, "a\x1b[1mb", {}, 4), 4);
  EXPECT_EQ(f.row_text(0), "abca?[1hij");
  Frame g(4, 1);
  g.put(0, 0, "e\xCC\x81\xFF!");  // e + combining acute, an invalid byte, "!"
  EXPECT_EQ(g.row_text(0), "e\xCC\x81?! ");
  EXPECT_EQ(g.at(0, 0).text, "e\xCC\x81");
  // Overwriting half of a wide character blanks the other half.
  Frame h(4, 1);
  h.put(0, 0, "漢字");
  h.put(1, 0, "x");
  EXPECT_EQ(h.row_text(0), " x字");
}

TEST(Frame, WidthsAndCuts) {
  EXPECT_EQ(display_width("abc"), 3);
  EXPECT_EQ(display_width("漢字"), 4);
  EXPECT_EQ(display_width("e\xCC\x81"), 1);
  EXPECT_EQ(cut_to_width("漢字ab", 3), "漢");
  EXPECT_EQ(ellipsize("abcdef", 4), "abc…");
  EXPECT_EQ(ellipsize("abc", 4), "abc");
  EXPECT_EQ(cut_left_to_width("github.com/o/r/a.c", 8), "…o/r/a.c");
  EXPECT_EQ(cut_left_to_width("a.c", 8), "a.c");
  EXPECT_EQ(cut_left_to_width("漢字漢字", 4), "…字");
  EXPECT_EQ(format_duration(65), "1m05s");
  EXPECT_EQ(format_duration(7300), "2h01m");
  EXPECT_EQ(format_bytes(512ULL << 20), "512 MiB");
  EXPECT_EQ(format_bytes(16ULL << 30), "16.0 GiB");
}

// U+1F680 (and U+2614 from the U+2600 block) take two columns, as ncursesw draws them: the frame
// gives each a tail cell, so what follows on the row stays where the terminal shows it.
TEST(Frame, EmojiTakeTwoColumnsLikeTheTerminal) {
  const std::string rocket = "\xF0\x9F\x9A\x80";
  const std::string umbrella = "\xE2\x98\x94";
  Frame f(8, 1);
  EXPECT_EQ(f.put(0, 0, rocket + "x" + umbrella + "y"), 6);
  EXPECT_EQ(f.at(0, 0).text, rocket);
  EXPECT_TRUE(f.at(1, 0).wide_tail);
  EXPECT_EQ(f.at(2, 0).text, "x");
  EXPECT_EQ(f.at(3, 0).text, umbrella);
  EXPECT_TRUE(f.at(4, 0).wide_tail);
  EXPECT_EQ(f.at(5, 0).text, "y");
  EXPECT_EQ(display_width(f.row_text(0)), 8);
}

TEST(Layout, ARowWithAnEmojiIsPaddedToItsWidth) {
  const std::string rocket = "\xF0\x9F\x9A\x80";
  Snapshot s = live_snapshot();
  s.live->in_flight = {{"src/" + rocket + "/launch.c", testing::k_now - 1000},
                       {"src/plain/launch.c", testing::k_now - 1000}};
  for (auto [cols, rows] : k_sizes) {
    SCOPED_TRACE(std::to_string(cols) + "x" + std::to_string(rows));
    Frame f = render(s, {}, cols, rows);
    expect_contained(f);
    int row = row_of(f, rocket + "/launch.c");
    ASSERT_GT(row, 0) << dump(f);
    int col = 0;
    while (col < cols && f.at(col, row).text != rocket)
      ++col;
    ASSERT_LT(col + 2, cols) << dump(f);
    EXPECT_TRUE(f.at(col + 1, row).wide_tail) << dump(f);
    EXPECT_EQ(f.at(col + 2, row).text, "/") << dump(f);
    // The time the file took ends at the same column as on the plain path's row.
    int plain = row_of(f, "plain/launch.c");
    ASSERT_GT(plain, 0) << dump(f);
    std::string emoji_row = f.row_text(row);
    std::string plain_row = f.row_text(plain);
    EXPECT_EQ(display_width(emoji_row.substr(0, emoji_row.find("1s"))),
              display_width(plain_row.substr(0, plain_row.find("1s"))))
        << dump(f);
  }
}

}  // namespace
}  // namespace g2d::tui
