// store/sqlite_store.hpp — the Store on one SQLite file (see store.hpp for the contract).
//
// Durability: WAL journal, synchronous=NORMAL (a committed transaction survives the process being
// killed; only a power cut may lose the last few), foreign keys on, a 5 s busy timeout for other
// processes' write locks. Every write is one BEGIN IMMEDIATE transaction; the near-duplicate band
// index is written in batches of its own (store/question_index.hpp), and by the destructor.
// Thread-safety: one connection guarded by a mutex serves every call, so calls from several
// threads are serialised. for_each_file / for_each_sample open a second, read-only connection of
// their own for the iteration: they read one snapshot, do not hold the mutex while the visitor
// runs (so visitors may call back into the store), and never block writers (WAL).
// Ownership: the object owns its connection; open_sqlite hands it out as a Store.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>

#include "store/question_index.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"

namespace g2d::store {

class SqliteStore final : public Store {
 public:
  static Result<std::unique_ptr<SqliteStore>> open(const std::filesystem::path& path,
                                                   OpenMode mode);

  // Writes the near-duplicate band keys still waiting (best effort: the next open writes them).
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  int schema_version() const override { return m_schema_version; }

  Result<std::optional<FileRecord>> get_file(std::string_view file_path) override;
  Status for_each_file(const FileVisitor& visit) override;
  Status commit_file(const FileRecord& file, const std::vector<SampleRecord>& samples) override;
  Status record_failure(std::string_view file_path, std::string_view error_kind,
                        std::string_view error_message, std::int64_t now) override;
  Result<std::int64_t> retire_file(std::string_view file_path) override;
  Status save_partials(const std::vector<PartialRecord>& work) override;
  Result<std::vector<PartialRecord>> partials(std::string_view file_path,
                                              std::string_view file_hash,
                                              std::string_view settings_fingerprint) override;
  Result<std::vector<FailedRecord>> failed_files() override;
  Result<bool> clear_failure(std::string_view file_path) override;
  Result<std::int64_t> clear_all_failures() override;
  Result<std::optional<std::string>> get_state(std::string_view key) override;
  Status set_state(std::string_view key, std::string_view value) override;
  Result<std::map<std::string, std::string>> state() override;
  Result<RunRecord> read_run() override;
  Status write_run(const RunRecord& run, RunFields fields) override;
  using Store::write_run;
  Result<Counts> counts() override;
  Status for_each_sample(const SampleVisitor& visit) override;

 private:
  SqliteStore(sqlite::Connection connection, OpenMode mode, int schema_version);

  // Runs `body` in one write transaction on the shared connection, under the mutex; refused in
  // read_only mode. `what` names the operation for the read-only refusal.
  Status write(std::string_view what, const std::function<Status(sqlite::Connection&)>& body);
  // Opens a private read-only connection and runs `body` inside one read transaction.
  Status with_snapshot(const std::function<Status(sqlite::Connection&)>& body) const;

  mutable std::mutex m_mutex;
  sqlite::Connection m_connection;  // guarded by m_mutex
  QuestionIndex m_questions;        // guarded by m_mutex
  const OpenMode m_mode;
  const int m_schema_version;
};

}  // namespace g2d::store
