// tests/store/fixtures.hpp — record builders for the store tests, and a few raw SQLite calls to
// inspect or tamper with a database file behind the Store's back.
//
// Thread-safety: the builders are pure; the raw calls open their own connection each time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/store.hpp"
#include "support.hpp"

namespace g2d::store::test {

FileRecord make_file(const std::string& path, const std::string& hash = "h1",
                     std::int64_t when = 1000);

// `count` samples of `file`, questions "<prefix> q<i>", answers "<prefix> a<i>".
std::vector<SampleRecord> make_samples(const FileRecord& file, int count,
                                       const std::string& prefix = "v1");

// The live samples, via for_each_sample; fails the test on an error.
std::vector<SampleRecord> live_samples(Store& store);

// Raw access with the sqlite3 API (no Store involved). Throws std::runtime_error on errors.
void raw_exec(const std::filesystem::path& db, const std::string& sql);
std::int64_t raw_int(const std::filesystem::path& db, const std::string& sql);
std::string raw_text(const std::filesystem::path& db, const std::string& sql);

// A database as version 1 of the schema left it (migration 1 alone), holding `file` as done with
// `samples` samples made by make_samples — for the migration tests.
void write_schema_version_one(const std::filesystem::path& db, const FileRecord& file, int samples);

// A fresh read-write store in a temporary directory, for each test.
class StoreFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = open_sqlite(db());
    ASSERT_TRUE(opened) << opened.error().describe();
    m_store = std::move(*opened);
  }
  Store& store() { return *m_store; }
  std::filesystem::path db() const { return m_dir / "g2d.db"; }

  g2d::test::TempDir m_dir;
  std::unique_ptr<Store> m_store;
};

}  // namespace g2d::store::test
