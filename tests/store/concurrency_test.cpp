// One Store used from several threads at once (also run under ThreadSanitizer), and two Store
// objects (two connections) writing the same file.
#include <atomic>
#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "store/store.hpp"
#include "support.hpp"

namespace g2d::store {
namespace {

using namespace g2d::store::test;

constexpr int k_threads = 6;
constexpr int k_files_per_thread = 15;
constexpr int k_samples_per_file = 3;

std::string path_of(int thread, int i) {
  return fmt::format("github.com/o/r/t{}/f{}.c", thread, i);
}

TEST(ConcurrencyTest, ThreadsCommitAndFailDifferentFilesAtOnce) {
  g2d::test::TempDir dir;
  auto opened = open_sqlite(dir / "g2d.db");
  ASSERT_TRUE(opened) << opened.error().describe();
  Store& store = **opened;

  std::atomic<int> errors{0};
  std::atomic<bool> writers_done{false};
  std::vector<std::thread> threads;
  threads.reserve(k_threads + 1);
  for (int t = 0; t < k_threads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < k_files_per_thread; ++i) {
        auto file = make_file(path_of(t, i), fmt::format("h{}", i), i);
        if (!store.commit_file(file, make_samples(file, k_samples_per_file)))
          ++errors;
        auto failing = fmt::format("github.com/o/r/t{}/bad{}.c", t, i % 3);
        if (!store.record_failure(failing, "timeout", "slow", i))
          ++errors;
        if (!store.set_state(fmt::format("progress.t{}", t), std::to_string(i)))
          ++errors;
      }
    });
  }
  // Readers run alongside: counts, lookups and snapshot iteration.
  threads.emplace_back([&] {
    while (!writers_done.load()) {
      auto c = store.counts();
      if (!c || c->live_samples != c->files_done * k_samples_per_file)
        ++errors;
      std::int64_t seen = 0;
      auto st = store.for_each_sample([&](const SampleRecord&) -> Status {
        ++seen;
        return {};
      });
      if (!st || seen % k_samples_per_file != 0)
        ++errors;
      if (!store.get_file(path_of(0, 0)))
        ++errors;
    }
  });
  for (int t = 0; t < k_threads; ++t)
    threads[static_cast<std::size_t>(t)].join();
  writers_done = true;
  threads.back().join();
  EXPECT_EQ(errors.load(), 0);

  auto c = store.counts().value();
  EXPECT_EQ(c.files_done, k_threads * k_files_per_thread);
  EXPECT_EQ(c.live_samples, k_threads * k_files_per_thread * k_samples_per_file);
  EXPECT_EQ(c.failed_files, k_threads * 3);
  auto failed = store.failed_files().value();
  ASSERT_EQ(failed.size(), static_cast<std::size_t>(k_threads * 3));
  for (const auto& f : failed)
    EXPECT_EQ(f.retry_count, 5) << f.file_path;  // 15 / 3 each

  std::set<std::int64_t> ids;
  for (const auto& s : live_samples(store))
    ids.insert(s.id);
  EXPECT_EQ(ids.size(), static_cast<std::size_t>(c.live_samples));
  for (int t = 0; t < k_threads; ++t) {
    for (int i = 0; i < k_files_per_thread; ++i) {
      auto file = store.get_file(path_of(t, i)).value();
      ASSERT_TRUE(file) << path_of(t, i);
      EXPECT_EQ(file->file_hash, fmt::format("h{}", i));
    }
    EXPECT_EQ(store.get_state(fmt::format("progress.t{}", t)).value(),
              std::optional<std::string>(std::to_string(k_files_per_thread - 1)));
  }
}

TEST(ConcurrencyTest, TwoConnectionsWriteTheSameDatabase) {
  g2d::test::TempDir dir;
  auto first = open_sqlite(dir / "g2d.db");
  auto second = open_sqlite(dir / "g2d.db");
  ASSERT_TRUE(first && second);
  std::atomic<int> errors{0};
  auto work = [&](Store& store, int t) {
    for (int i = 0; i < 20; ++i) {
      auto file = make_file(path_of(t, i));
      if (!store.commit_file(file, make_samples(file, 2)))
        ++errors;
      if (!store.record_failure("github.com/o/r/shared.c", "io", "x", i))
        ++errors;
    }
  };
  std::thread a(work, std::ref(**first), 0);
  std::thread b(work, std::ref(**second), 1);
  a.join();
  b.join();
  EXPECT_EQ(errors.load(), 0);
  auto c = (*first)->counts().value();
  EXPECT_EQ(c.files_done, 40);
  EXPECT_EQ(c.live_samples, 80);
  auto failed = (*second)->failed_files().value();
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].retry_count, 40);
}

}  // namespace
}  // namespace g2d::store
