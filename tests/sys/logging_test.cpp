// The logger's sinks against hostile messages: a server's error text or a model's output with
// terminal escape sequences, BEL, CR LF, C1 and bidirectional controls reaches neither the log
// file nor the terminal raw — each record stays one line, escaped, whatever the call site.
#include "sys/logging.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "support.hpp"

namespace g2d::sys {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Restores the process's default logger when a test replaced it.
class LoggingTest : public ::testing::Test {
 protected:
  void TearDown() override { spdlog::set_default_logger(m_saved); }

 private:
  std::shared_ptr<spdlog::logger> m_saved = spdlog::default_logger();
};

constexpr char k_hostile_bytes[] =
    "HTTP 500: \x1b]0;pwned\x07\x1b[2J bell\x07 cr\r\n2024-05-01T12:00:00.000 info [1] forged "
    "\xE2\x80\xAE"
    "exe.txt \xE2\x80\x8E lrm \xE2\x81\xA6 isolate \xC2\x9B c1 \x7f del \xE2\x80\xA8 ls "
    "nul\0!\ttab back\\slash caf\xC3\xA9";
const std::string k_hostile(k_hostile_bytes, sizeof k_hostile_bytes - 1);  // with its NUL

// The escaped form, as core/text.hpp's escape_controls writes it (TAB and the backslash kept).
const std::string k_escaped =
    "HTTP 500: \\x1b]0;pwned\\x07\\x1b[2J bell\\x07 cr\\r\\n2024-05-01T12:00:00.000 info [1] "
    "forged \\u{202E}exe.txt \\u{200E} lrm \\u{2066} isolate \\u{009B} c1 \\x7f del \\u{2028} ls "
    "nul\\x00!\ttab back\\slash caf\xC3\xA9";

void expect_no_raw_controls(const std::string& text) {
  const std::vector<std::string> raw = {
      "\x1b",     "\x07",         "\r",           "\x7f",         std::string(1, '\0'),
      "\xC2\x9B", "\xE2\x80\xAE", "\xE2\x80\x8E", "\xE2\x81\xA6", "\xE2\x80\xA8"};
  for (const auto& r : raw)
    EXPECT_THAT(text, Not(HasSubstr(r)));
}

TEST_F(LoggingTest, AHostileMessageIsEscapedInTheLogFileAndStaysOneLine) {
  test::TempDir tmp;
  init_logging(0, false);
  attach_log_file(tmp / "git2dataset.log");
  ::testing::internal::CaptureStderr();
  spdlog::warn("server said: {}", k_hostile);
  spdlog::debug("debug goes to the file only: {}", "\x1b[31m");
  spdlog::default_logger()->flush();
  const std::string console = ::testing::internal::GetCapturedStderr();
  const std::string file = test::read_file(tmp / "git2dataset.log");

  expect_no_raw_controls(file);
  EXPECT_THAT(file, HasSubstr(" warning [")) << file;
  EXPECT_THAT(file, HasSubstr("] server said: " + k_escaped + "\n")) << file;
  EXPECT_THAT(file, HasSubstr("debug goes to the file only: \\x1b[31m\n")) << file;
  EXPECT_EQ(std::count(file.begin(), file.end(), '\n'), 2) << "one line per record:\n" << file;
  EXPECT_THAT(file, Not(HasSubstr("\n2024-05-01T12:00:00.000 info [1] forged"))) << file;

  expect_no_raw_controls(console);
  EXPECT_THAT(console, HasSubstr("warning: server said: " + k_escaped + "\n")) << console;
  EXPECT_EQ(std::count(console.begin(), console.end(), '\n'), 1) << console;
}

}  // namespace
}  // namespace g2d::sys
