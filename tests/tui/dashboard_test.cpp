// The dashboard's loop driven through a scripted terminal (keys from a list, frames captured):
// q quits, p pauses and resumes a live run through the hook and refuses a finished one, f opens and
// Esc closes the failures, the arrows scroll the log, a resize is drawn at the new size, a stop
// (a signal) ends the loop, and snapshots are taken at most every snapshot_every.
#include "tui/dashboard.hpp"

#include <algorithm>
#include <deque>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "tui/layout.hpp"

namespace g2d::tui {
namespace {

using ::testing::HasSubstr;
using testing::live_snapshot;
using testing::row_of;

// A fake terminal: the keys of a script, then 'q'; every frame kept. `before_key` runs before each
// key is handed out (to change the size between keys).
class ScriptedTerminal : public Terminal {
 public:
  explicit ScriptedTerminal(std::vector<KeyEvent> keys) : m_keys(keys.begin(), keys.end()) {}
  TerminalSize size() override { return m_size; }
  void draw(const Frame& frame) override { frames.push_back(frame); }
  KeyEvent read_key(std::chrono::milliseconds /*timeout*/) override {
    if (before_key)
      before_key(*this);
    if (m_keys.empty())
      return {Key::character, 'q'};
    KeyEvent k = m_keys.front();
    m_keys.pop_front();
    return k;
  }
  void resize(int cols, int rows) { m_size = {cols, rows}; }
  size_t keys_left() const { return m_keys.size(); }

  std::vector<Frame> frames;
  std::function<void(ScriptedTerminal&)> before_key;

 private:
  std::deque<KeyEvent> m_keys;
  TerminalSize m_size{80, 24};
};

KeyEvent ch(char32_t c) {
  return {Key::character, c};
}
KeyEvent key(Key k) {
  return {k, 0};
}

// Hooks over a snapshot held here; set_pause records its calls and changes the held snapshot, as
// the database would.
struct Hooks {
  Snapshot snapshot = live_snapshot();
  std::vector<bool> pauses;
  int snapshots = 0;
  bool fail_pause = false;
  DashboardHooks hooks() {
    DashboardHooks h;
    h.snapshot = [this](std::int64_t) {
      ++snapshots;
      return snapshot;
    };
    h.set_pause = [this](bool pause) -> Status {
      if (fail_pause)
        return fail(ErrorKind::store, "locked (injected)");
      pauses.push_back(pause);
      snapshot.run.pause_requested = pause;
      return {};
    };
    h.now_ms = [] { return testing::k_now; };
    h.snapshot_every = std::chrono::milliseconds(0);
    return h;
  }
};

TEST(Dashboard, QQuitsAfterDrawingTheFirstFrame) {
  Hooks h;
  ScriptedTerminal t({});
  run_dashboard(t, h.hooks());
  ASSERT_FALSE(t.frames.empty());
  EXPECT_THAT(t.frames.front().row_text(0), HasSubstr(" running "));
  EXPECT_TRUE(h.pauses.empty());
}

TEST(Dashboard, PPausesTheLiveRunAndPAgainResumesIt) {
  Hooks h;
  ScriptedTerminal t({ch('p'), key(Key::none), ch('p')});
  std::vector<std::string> headers;
  std::vector<std::string> footers;
  t.before_key = [&](ScriptedTerminal& term) {
    if (!term.frames.empty()) {
      headers.push_back(term.frames.back().row_text(0));
      footers.push_back(term.frames.back().row_text(23));
    }
  };
  run_dashboard(t, h.hooks());
  EXPECT_EQ(h.pauses, (std::vector<bool>{true, false}));
  ASSERT_GE(headers.size(), 3u);
  EXPECT_THAT(headers[1], HasSubstr("pause requested"));
  EXPECT_THAT(footers[1], HasSubstr("pause requested (files in flight finish)"));
  EXPECT_THAT(headers[3], ::testing::Not(HasSubstr("pause requested")));
  EXPECT_THAT(footers[3], HasSubstr("resume requested"));
}

TEST(Dashboard, POnARunThatIsOverDoesNotWrite) {
  Hooks h;
  h.snapshot = testing::finished_snapshot();
  ScriptedTerminal t({ch('p')});
  run_dashboard(t, h.hooks());
  EXPECT_TRUE(h.pauses.empty());
  EXPECT_THAT(t.frames.back().row_text(23), HasSubstr("the run is finished: nothing to pause"));
}

TEST(Dashboard, AFailedPauseWriteIsShown) {
  Hooks h;
  h.fail_pause = true;
  ScriptedTerminal t({ch('p')});
  run_dashboard(t, h.hooks());
  EXPECT_THAT(t.frames.back().row_text(23), HasSubstr("cannot pause: locked (injected)"));
}

TEST(Dashboard, FOpensTheFailuresAndEscClosesThem) {
  Hooks h;
  ScriptedTerminal t({ch('f'), key(Key::escape), ch('f'), ch('f')});
  std::vector<bool> open;
  t.before_key = [&](ScriptedTerminal& term) {
    if (!term.frames.empty())
      open.push_back(row_of(term.frames.back(), "Failed files (1)") >= 0);
  };
  auto view = run_dashboard(t, h.hooks());
  EXPECT_EQ(open, (std::vector<bool>{false, true, false, true, false}));
  EXPECT_FALSE(view.failures_open);
  EXPECT_GT(row_of(t.frames[1], "timeout: no progress for 300 s"), 0);
}

TEST(Dashboard, ArrowsScrollTheLogAndEndFollowsItAgain) {
  Hooks h;
  int page = log_lines_shown(80, 24);
  ScriptedTerminal t({key(Key::up), key(Key::up), key(Key::up)});
  auto view = run_dashboard(t, h.hooks());
  EXPECT_EQ(view.log_scroll, 3);
  EXPECT_EQ(row_of(t.frames.back(), "log line " + std::to_string(testing::k_log_lines - 3)), 21);

  ScriptedTerminal down({key(Key::page_up), key(Key::down)});
  view = run_dashboard(down, h.hooks());
  EXPECT_EQ(view.log_scroll, page - 1);

  ScriptedTerminal home({key(Key::home)});
  view = run_dashboard(home, h.hooks());
  EXPECT_EQ(view.log_scroll, testing::k_log_lines - page) << "at the oldest line";

  ScriptedTerminal end({key(Key::page_up), key(Key::page_up), key(Key::end)});
  view = run_dashboard(end, h.hooks());
  EXPECT_EQ(view.log_scroll, 0);

  ScriptedTerminal below({key(Key::down), key(Key::page_down)});
  view = run_dashboard(below, h.hooks());
  EXPECT_EQ(view.log_scroll, 0) << "never below the newest line";
}

TEST(Dashboard, ArrowsScrollTheFailuresWhileTheyAreOpen) {
  Hooks h;
  for (int i = 0; i < 40; ++i) {
    store::FailedRecord f;
    f.file_path = "r/f" + std::to_string(i) + ".c";
    h.snapshot.failures.push_back(f);
  }
  ScriptedTerminal t({ch('f'), key(Key::down), key(Key::down), key(Key::page_down)});
  auto view = run_dashboard(t, h.hooks());
  EXPECT_EQ(view.failures_scroll, 2 + failures_shown(80, 24));
  EXPECT_EQ(view.log_scroll, 0);
}

TEST(Dashboard, AResizeIsDrawnAtTheNewSize) {
  Hooks h;
  ScriptedTerminal t({key(Key::resize), key(Key::resize), key(Key::resize), key(Key::resize)});
  int step = 0;
  t.before_key = [&](ScriptedTerminal& term) {
    const std::vector<std::pair<int, int>> sizes = {{80, 24}, {120, 40}, {60, 20}, {100, 30}};
    auto [cols, rows] = sizes[static_cast<size_t>(std::min(step++, 3))];
    term.resize(cols, rows);
  };
  run_dashboard(t, h.hooks());
  std::vector<std::pair<int, int>> drawn;
  for (const auto& f : t.frames)
    drawn.emplace_back(f.cols(), f.rows());
  EXPECT_NE(std::find(drawn.begin(), drawn.end(), std::make_pair(120, 40)), drawn.end());
  EXPECT_NE(std::find(drawn.begin(), drawn.end(), std::make_pair(60, 20)), drawn.end());
  EXPECT_EQ(drawn.back(), std::make_pair(100, 30));
  for (const auto& f : t.frames) {
    if (f.cols() == 60) {
      EXPECT_GE(row_of(f, "terminal too small"), 0);
    }
  }
}

TEST(Dashboard, AStopEndsTheLoop) {
  Hooks h;
  std::vector<KeyEvent> idle(100, key(Key::none));
  ScriptedTerminal t(idle);
  int polls = 0;
  DashboardHooks hooks = h.hooks();
  hooks.stop = [&] { return ++polls > 5; };
  run_dashboard(t, hooks);
  EXPECT_GT(t.keys_left(), 90u) << "the loop went on after the stop";
}

TEST(Dashboard, SnapshotsAreTakenAtMostEverySnapshotEvery) {
  Hooks h;
  std::vector<KeyEvent> keys(50, key(Key::up));
  ScriptedTerminal t(keys);
  DashboardHooks hooks = h.hooks();
  hooks.snapshot_every = std::chrono::hours(1);
  run_dashboard(t, hooks);
  EXPECT_EQ(h.snapshots, 1);
  EXPECT_EQ(t.frames.size(), 51u) << "one frame at the start and one per key";
}

}  // namespace
}  // namespace g2d::tui
