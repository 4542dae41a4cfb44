#include "fixtures.hpp"

#include <stdexcept>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "store/migrations.hpp"

namespace g2d::store::test {

FileRecord make_file(const std::string& path, const std::string& hash, std::int64_t when) {
  FileRecord file;
  file.file_path = path;
  file.repo = "github.com/o/r";
  file.commit_sha = "c0ffee";
  file.file_hash = hash;
  file.language = "c";
  file.status = FileStatus::done;
  file.settings_fingerprint = "fp1";
  file.last_processed = when;
  return file;
}

std::vector<SampleRecord> make_samples(const FileRecord& file, int count,
                                       const std::string& prefix) {
  std::vector<SampleRecord> samples;
  for (int i = 0; i < count; ++i) {
    SampleRecord s;
    s.file_path = file.file_path;
    s.question = prefix + " q" + std::to_string(i);
    s.answer = prefix + " a" + std::to_string(i);
    s.model_used = "tiny";
    s.repo_url = "https://github.com/o/r";
    s.commit_sha = file.commit_sha;
    s.file_hash = file.file_hash;
    s.line_start = 1 + i * 10;
    s.line_end = 10 + i * 10;
    s.prompt_version = "qa-1";
    s.settings_fingerprint = file.settings_fingerprint;
    s.prompt_tokens = 100 + i;
    s.completion_tokens = 20 + i;
    s.quality_flags = i % 2 == 0 ? "" : "short";
    s.created_at = file.last_processed;
    samples.push_back(s);
  }
  return samples;
}

std::vector<SampleRecord> live_samples(Store& store) {
  std::vector<SampleRecord> out;
  auto st = store.for_each_sample([&](const SampleRecord& s) -> Status {
    out.push_back(s);
    return {};
  });
  EXPECT_TRUE(st) << st.error().describe();
  return out;
}

namespace {

struct Raw {
  sqlite3* db = nullptr;
  explicit Raw(const std::filesystem::path& path) {
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
      std::string msg = sqlite3_errmsg(db);
      sqlite3_close(db);
      throw std::runtime_error("raw open: " + msg);
    }
    sqlite3_busy_timeout(db, 5000);
  }
  ~Raw() { sqlite3_close(db); }
  Raw(const Raw&) = delete;
  Raw& operator=(const Raw&) = delete;

  // Runs `sql` and returns the first column of its first row as text ("" if none).
  std::string query(const std::string& sql) const {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      throw std::runtime_error("raw prepare: " + std::string(sqlite3_errmsg(db)));
    }
    std::string result;
    int rc = sqlite3_step(stmt);
    if (rc == SQLITE_ROW) {
      const unsigned char* text = sqlite3_column_text(stmt, 0);
      if (text != nullptr)
        result = reinterpret_cast<const char*>(text);
    } else if (rc != SQLITE_DONE) {
      std::string msg = sqlite3_errmsg(db);
      sqlite3_finalize(stmt);
      throw std::runtime_error("raw step: " + msg);
    }
    sqlite3_finalize(stmt);
    return result;
  }
};

}  // namespace

void raw_exec(const std::filesystem::path& db, const std::string& sql) {
  Raw raw(db);
  char* err = nullptr;
  if (sqlite3_exec(raw.db, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err != nullptr ? err : "?";
    sqlite3_free(err);
    throw std::runtime_error("raw exec: " + msg);
  }
}

std::int64_t raw_int(const std::filesystem::path& db, const std::string& sql) {
  return std::stoll(Raw(db).query(sql));
}

std::string raw_text(const std::filesystem::path& db, const std::string& sql) {
  return Raw(db).query(sql);
}

void write_schema_version_one(const std::filesystem::path& db, const FileRecord& file,
                              int samples) {
  for (const char* suffix : {"", "-wal", "-shm"})
    std::filesystem::remove(db.string() + suffix);
  g2d::test::write_file(db, "");  // raw_exec opens without creating
  raw_exec(db, std::string(migrations()[0].sql) + "PRAGMA user_version = 1;");
  raw_exec(db, fmt::format("INSERT INTO FileHashes VALUES ('{}', '{}', {}, '{}', '{}', '{}', "
                           "'done', '{}')",
                           file.file_path, file.file_hash, file.last_processed, file.repo,
                           file.commit_sha, file.language, file.settings_fingerprint));
  for (const SampleRecord& s : make_samples(file, samples)) {
    raw_exec(db, fmt::format("INSERT INTO TrainingSamples (file_path, question, answer, "
                             "model_used, repo_url, commit_sha, file_hash, line_start, line_end, "
                             "prompt_version, settings_fingerprint, prompt_tokens, "
                             "completion_tokens, quality_flags, created_at) VALUES ('{}', '{}', "
                             "'{}', '{}', '{}', '{}', '{}', {}, {}, '{}', '{}', {}, {}, '', {})",
                             s.file_path, s.question, s.answer, s.model_used, s.repo_url,
                             s.commit_sha, s.file_hash, s.line_start, s.line_end, s.prompt_version,
                             s.settings_fingerprint, s.prompt_tokens, s.completion_tokens,
                             s.created_at));
  }
}

}  // namespace g2d::store::test
