// AppState, and streaming samples for export.
#include <algorithm>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "store/store.hpp"
#include "support.hpp"

namespace g2d::store {
namespace {

using namespace g2d::store::test;

class StateTest : public StoreFixture {};

TEST_F(StateTest, AppStateRoundTrips) {
  EXPECT_FALSE(store().get_state("run").value().has_value());
  ASSERT_TRUE(store().set_state("run", "running"));
  ASSERT_TRUE(store().set_state("pause", ""));
  ASSERT_TRUE(store().set_state("run", "finished"));  // overwrites
  std::string odd = "line\nwith 'quotes', \xc3\xa9 and a NUL byte: ";
  odd.push_back('\0');
  odd += "tail";
  ASSERT_TRUE(store().set_state("odd", odd));

  EXPECT_EQ(store().get_state("run").value(), std::optional<std::string>("finished"));
  EXPECT_EQ(store().get_state("pause").value(), std::optional<std::string>(""));
  EXPECT_EQ(store().get_state("odd").value(), std::optional<std::string>(odd));
  auto all = store().state();
  ASSERT_TRUE(all) << all.error().describe();
  EXPECT_EQ(*all,
            (std::map<std::string, std::string>{{"odd", odd}, {"pause", ""}, {"run", "finished"}}));
}

TEST_F(StateTest, ForEachSampleStreamsLiveSamplesInIdOrder) {
  auto a = make_file("github.com/o/r/a.c");
  auto b = make_file("github.com/o/r/b.c");
  ASSERT_TRUE(store().commit_file(a, make_samples(a, 2, "a1")));
  ASSERT_TRUE(store().commit_file(b, make_samples(b, 2, "b1")));
  ASSERT_TRUE(store().commit_file(a, make_samples(a, 2, "a2")));  // retires a1

  std::vector<std::string> questions;
  std::vector<std::int64_t> ids;
  auto st = store().for_each_sample([&](const SampleRecord& s) -> Status {
    EXPECT_FALSE(s.retired);
    questions.push_back(s.question);
    ids.push_back(s.id);
    return {};
  });
  ASSERT_TRUE(st) << st.error().describe();
  EXPECT_THAT(questions, ::testing::ElementsAre("b1 q0", "b1 q1", "a2 q0", "a2 q1"));
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  EXPECT_EQ(std::adjacent_find(ids.begin(), ids.end()), ids.end());
}

TEST_F(StateTest, AVisitorErrorStopsTheIteration) {
  auto a = make_file("github.com/o/r/a.c");
  ASSERT_TRUE(store().commit_file(a, make_samples(a, 5)));
  int seen = 0;
  auto st = store().for_each_sample([&](const SampleRecord&) -> Status {
    if (++seen == 2)
      return fail(ErrorKind::io, "disk full");
    return {};
  });
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, ErrorKind::io);
  EXPECT_EQ(st.error().message, "disk full");
  EXPECT_EQ(seen, 2);
}

TEST_F(StateTest, VisitorsMayCallBackIntoTheStore) {
  auto a = make_file("github.com/o/r/a.c");
  ASSERT_TRUE(store().commit_file(a, make_samples(a, 2)));
  int seen = 0;
  auto st = store().for_each_sample([&](const SampleRecord& s) -> Status {
    ++seen;
    auto progress = store().set_state("exported", std::to_string(s.id));
    if (!progress)
      return progress;
    auto file = store().get_file(s.file_path);
    if (!file)
      return tl::unexpected(file.error());
    EXPECT_TRUE(file->has_value());
    return {};
  });
  ASSERT_TRUE(st) << st.error().describe();
  EXPECT_EQ(seen, 2);
  EXPECT_TRUE(store().get_state("exported").value().has_value());

  std::vector<std::string> paths;
  auto files = store().for_each_file([&](const FileRecord& f) -> Status {
    paths.push_back(f.file_path);
    return store().record_failure(f.file_path, "io", "x", 1);
  });
  ASSERT_TRUE(files) << files.error().describe();
  EXPECT_THAT(paths, ::testing::ElementsAre(a.file_path));
  EXPECT_EQ(store().failed_files()->size(), 1u);
}

TEST_F(StateTest, CountsCoverEveryStatus) {
  auto a = make_file("github.com/o/r/a.c");
  auto b = make_file("github.com/o/r/b.c");
  auto c = make_file("github.com/o/r/c.c");
  auto d = make_file("github.com/o/r/d.c");
  for (const auto& f : {a, b, c, d})
    ASSERT_TRUE(store().commit_file(f, make_samples(f, 1)));
  ASSERT_TRUE(store().record_failure(b.file_path, "io", "x", 1));
  ASSERT_TRUE(store().record_failure(c.file_path, "io", "x", 1));
  ASSERT_TRUE(store().clear_failure(c.file_path));
  ASSERT_TRUE(store().retire_file(d.file_path));
  ASSERT_TRUE(store().record_failure("github.com/o/r/new.c", "io", "x", 1));

  Counts want;
  want.files_done = 1;
  want.files_failed = 1;
  want.files_pending = 1;
  want.files_retired = 1;
  want.live_samples = 3;
  want.retired_samples = 1;
  want.failed_files = 2;
  EXPECT_EQ(store().counts().value(), want);
  EXPECT_EQ(want.files_total(), 4);
}

TEST(FileStatusTest, NamesRoundTrip) {
  for (auto s : {FileStatus::pending, FileStatus::done, FileStatus::failed, FileStatus::retired}) {
    EXPECT_EQ(parse_file_status(to_string(s)), s);
  }
  EXPECT_EQ(to_string(FileStatus::done), "done");
  EXPECT_FALSE(parse_file_status("finished").has_value());
}

}  // namespace
}  // namespace g2d::store
