// The SQLite store's writes. Each public operation is one write transaction (see write()).
#include "store/sqlite_store.hpp"

#include <map>
#include <tuple>

namespace g2d::store {

using sqlite::Connection;

namespace {

constexpr std::string_view k_upsert_done_file = R"sql(
INSERT INTO FileHashes (file_path, file_hash, last_processed, repo, commit_sha, language, status,
                        settings_fingerprint)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'done', ?7)
ON CONFLICT (file_path) DO UPDATE SET
  file_hash = excluded.file_hash, last_processed = excluded.last_processed,
  repo = excluded.repo, commit_sha = excluded.commit_sha, language = excluded.language,
  status = 'done', settings_fingerprint = excluded.settings_fingerprint)sql";

constexpr std::string_view k_insert_sample = R"sql(
INSERT INTO TrainingSamples (file_path, question, answer, model_used, repo_url, commit_sha,
  file_hash, line_start, line_end, prompt_version, settings_fingerprint, prompt_tokens,
  completion_tokens, quality_flags, created_at, retired, unit_id, grounding, duplicate_key,
  duplicate_of)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, 0, ?16, ?17, ?18,
  (SELECT min(id) FROM TrainingSamples WHERE duplicate_key = ?18 AND retired = 0)))sql";

// The live samples that pointed at a sample of ?1 that is now retired: each is linked again to the
// earliest live earlier sample with its key (or none).
constexpr std::string_view k_relink_duplicates = R"sql(
UPDATE TrainingSamples AS t SET duplicate_of = (
  SELECT min(o.id) FROM TrainingSamples o
  WHERE o.duplicate_key = t.duplicate_key AND o.retired = 0 AND o.id < t.id)
WHERE t.retired = 0 AND t.duplicate_of IN (
  SELECT id FROM TrainingSamples WHERE file_path = ?1 AND retired = 1))sql";

constexpr std::string_view k_insert_unit = R"sql(
INSERT INTO SampleUnits (file_path, file_hash, line_start, line_end, scope, code)
VALUES (?1, ?2, ?3, ?4, ?5, ?6))sql";

constexpr std::string_view k_upsert_failure = R"sql(
INSERT INTO FailedFiles (file_path, error_kind, error_message, retry_count, last_attempt)
VALUES (?1, ?2, ?3, 1, ?4)
ON CONFLICT (file_path) DO UPDATE SET
  error_kind = excluded.error_kind, error_message = excluded.error_message,
  retry_count = FailedFiles.retry_count + 1, last_attempt = excluded.last_attempt)sql";

// Prepares `sql`, binds `path` to ?1, runs it, and returns how many rows it changed.
Result<std::int64_t> run_for_path(Connection& db, const std::string& what, std::string_view sql,
                                  std::string_view path) {
  auto stmt = db.prepare(what, sql);
  if (!stmt)
    return tl::unexpected(stmt.error());
  auto st = stmt->bind(1, path).run();
  if (!st)
    return tl::unexpected(st.error());
  return db.changes();
}

Status validate_commit(const FileRecord& file, const std::vector<SampleRecord>& samples) {
  if (file.file_path.empty()) {
    return fail(ErrorKind::invalid_argument, "cannot commit a file record without a file_path");
  }
  for (const SampleRecord& sample : samples) {
    if (sample.file_path != file.file_path) {
      return fail(ErrorKind::invalid_argument,
                  "cannot commit {}: one of its samples belongs to '{}'", file.file_path,
                  sample.file_path);
    }
  }
  return {};
}

// After the samples of `path` were retired: the live samples linked to one of them are linked to
// the next original (or none), so a link always names a live sample.
Status relink_after_retiring(Connection& db, QuestionIndex& questions, const std::string& path) {
  auto exact = run_for_path(db, fmt::format("re-link the duplicates of {}", path),
                            k_relink_duplicates, path);
  if (!exact)
    return tl::unexpected(exact.error());
  return questions.relink_after_retiring(db, path);
}

// Inserts the samples, and each distinct unit (line range, scope, code) among them once.
Status insert_samples(Connection& db, QuestionIndex& questions, const std::string& path,
                      const std::vector<SampleRecord>& samples) {
  auto insert = db.prepare(fmt::format("insert a sample of {}", path), k_insert_sample);
  if (!insert)
    return tl::unexpected(insert.error());
  auto insert_unit = db.prepare(fmt::format("insert a unit of {}", path), k_insert_unit);
  if (!insert_unit)
    return tl::unexpected(insert_unit.error());
  std::map<std::tuple<int, int, std::string_view, std::string_view>, std::int64_t> units;
  for (const SampleRecord& s : samples) {
    auto key = std::make_tuple(s.line_start, s.line_end, std::string_view(s.scope),
                               std::string_view(s.code));
    auto unit = units.find(key);
    if (unit == units.end()) {
      insert_unit->reset();
      insert_unit->bind(1, s.file_path).bind(2, s.file_hash).bind(3, s.line_start);
      insert_unit->bind(4, s.line_end).bind(5, s.scope).bind(6, s.code);
      if (auto st = insert_unit->run(); !st)
        return st;
      unit = units.emplace(key, db.last_insert_rowid()).first;
    }
    insert->reset();
    insert->bind(1, s.file_path).bind(2, s.question).bind(3, s.answer).bind(4, s.model_used);
    insert->bind(5, s.repo_url).bind(6, s.commit_sha).bind(7, s.file_hash);
    insert->bind(8, s.line_start).bind(9, s.line_end).bind(10, s.prompt_version);
    insert->bind(11, s.settings_fingerprint).bind(12, s.prompt_tokens);
    insert->bind(13, s.completion_tokens).bind(14, s.quality_flags).bind(15, s.created_at);
    insert->bind(16, unit->second);
    if (s.grounding)
      insert->bind(17, *s.grounding);
    else
      insert->bind_null(17);
    if (s.duplicate_key != 0)
      insert->bind(18, s.duplicate_key);
    else
      insert->bind_null(18);
    auto st = insert->run();
    if (!st)
      return st;
    st = questions.add(db, db.last_insert_rowid(), s);
    if (!st)
      return st;
  }
  return {};
}

Result<std::int64_t> drop_partials(Connection& db, const std::string& path) {
  return run_for_path(db, fmt::format("drop the partial work on {}", path),
                      "DELETE FROM PartialWork WHERE file_path = ?1", path);
}

}  // namespace

Status SqliteStore::write(std::string_view what, const std::function<Status(Connection&)>& body) {
  if (m_mode == OpenMode::read_only) {
    return fail(ErrorKind::store, "cannot {} in {}: the store was opened read-only", what,
                m_connection.path().string());
  }
  std::lock_guard lock(m_mutex);
  m_questions.begin();
  auto st = [&]() -> Status {
    auto tx = sqlite::Transaction::begin(m_connection, sqlite::Transaction::Kind::write);
    if (!tx)
      return tl::unexpected(tx.error());
    auto done = body(m_connection);
    if (!done)
      return done;  // the transaction rolls back
    return tx->commit();
  }();
  if (!st) {
    m_questions.rollback();
    return st;
  }
  // The committed work stands whether the band keys move now or at a later write (they wait in
  // PendingQuestionBands until one succeeds).
  if (m_questions.waiting() >= QuestionIndex::k_flush_samples)
    (void)m_questions.flush(m_connection);
  return {};
}

SqliteStore::~SqliteStore() {
  if (m_mode == OpenMode::read_only)
    return;
  std::lock_guard lock(m_mutex);
  if (m_questions.waiting() > 0)
    (void)m_questions.flush(m_connection);  // what fails waits for the next open
}

Status SqliteStore::commit_file(const FileRecord& file, const std::vector<SampleRecord>& samples) {
  auto valid = validate_commit(file, samples);
  if (!valid)
    return valid;
  const std::string& path = file.file_path;
  return write(fmt::format("commit {}", path), [&](Connection& db) -> Status {
    auto upsert = db.prepare(fmt::format("record {} as done", path), k_upsert_done_file);
    if (!upsert)
      return tl::unexpected(upsert.error());
    upsert->bind(1, path).bind(2, file.file_hash).bind(3, file.last_processed).bind(4, file.repo);
    upsert->bind(5, file.commit_sha).bind(6, file.language).bind(7, file.settings_fingerprint);
    auto st = upsert->run();
    if (!st)
      return st;
    auto retired = run_for_path(db, fmt::format("retire the earlier samples of {}", path),
                                "UPDATE TrainingSamples SET retired = 1 "
                                "WHERE file_path = ?1 AND retired = 0",
                                path);
    if (!retired)
      return tl::unexpected(retired.error());
    if (*retired > 0)
      if (st = relink_after_retiring(db, m_questions, path); !st)
        return st;
    st = insert_samples(db, m_questions, path, samples);
    if (!st)
      return st;
    auto cleared = run_for_path(db, fmt::format("clear the failure of {}", path),
                                "DELETE FROM FailedFiles WHERE file_path = ?1", path);
    if (!cleared)
      return tl::unexpected(cleared.error());
    auto dropped = drop_partials(db, path);
    if (!dropped)
      return tl::unexpected(dropped.error());
    return {};
  });
}

Status SqliteStore::save_partials(const std::vector<PartialRecord>& work) {
  for (const PartialRecord& w : work) {
    if (w.file_path.empty() || w.unit.empty() || w.slot < 0) {
      return fail(ErrorKind::invalid_argument,
                  "cannot keep partial work without a file_path, a unit and a slot >= 0 (got "
                  "'{}', '{}', {})",
                  w.file_path, w.unit, w.slot);
    }
  }
  if (work.empty())
    return {};
  return write(
      fmt::format("keep partial work on {}", work.front().file_path),
      [&](Connection& db) -> Status {
        auto stale = db.prepare("drop stale partial work",
                                "DELETE FROM PartialWork WHERE file_path = ?1 AND "
                                "(file_hash <> ?2 OR settings_fingerprint <> ?3)");
        auto upsert = db.prepare("keep partial work",
                                 "INSERT OR REPLACE INTO PartialWork (file_path, "
                                 "file_hash, settings_fingerprint, unit, slot, payload) "
                                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
        if (!stale)
          return tl::unexpected(stale.error());
        if (!upsert)
          return tl::unexpected(upsert.error());
        for (const PartialRecord& w : work) {
          stale->reset();
          stale->bind(1, w.file_path).bind(2, w.file_hash).bind(3, w.settings_fingerprint);
          if (auto st = stale->run(); !st)
            return st;
          upsert->reset();
          upsert->bind(1, w.file_path).bind(2, w.file_hash).bind(3, w.settings_fingerprint);
          upsert->bind(4, w.unit).bind(5, w.slot).bind(6, w.payload);
          if (auto st = upsert->run(); !st)
            return st;
        }
        return {};
      });
}

Status SqliteStore::record_failure(std::string_view file_path, std::string_view error_kind,
                                   std::string_view error_message, std::int64_t now) {
  if (file_path.empty()) {
    return fail(ErrorKind::invalid_argument, "cannot record a failure without a file_path");
  }
  return write(fmt::format("record the failure of {}", file_path), [&](Connection& db) -> Status {
    auto upsert = db.prepare(fmt::format("record the failure of {}", file_path), k_upsert_failure);
    if (!upsert)
      return tl::unexpected(upsert.error());
    auto st =
        upsert->bind(1, file_path).bind(2, error_kind).bind(3, error_message).bind(4, now).run();
    if (!st)
      return st;
    auto marked =
        run_for_path(db, fmt::format("mark {} failed", file_path),
                     "UPDATE FileHashes SET status = 'failed' WHERE file_path = ?1", file_path);
    if (!marked)
      return tl::unexpected(marked.error());
    return {};
  });
}

Result<std::int64_t> SqliteStore::retire_file(std::string_view file_path) {
  std::int64_t retired = 0;
  auto st = write(fmt::format("retire {}", file_path), [&](Connection& db) -> Status {
    auto samples = run_for_path(db, fmt::format("retire the samples of {}", file_path),
                                "UPDATE TrainingSamples SET retired = 1 "
                                "WHERE file_path = ?1 AND retired = 0",
                                file_path);
    if (!samples)
      return tl::unexpected(samples.error());
    retired = *samples;
    if (retired > 0)
      if (auto relinked = relink_after_retiring(db, m_questions, std::string(file_path)); !relinked)
        return relinked;
    auto file =
        run_for_path(db, fmt::format("mark {} retired", file_path),
                     "UPDATE FileHashes SET status = 'retired' WHERE file_path = ?1", file_path);
    if (!file)
      return tl::unexpected(file.error());
    auto failure = run_for_path(db, fmt::format("clear the failure of {}", file_path),
                                "DELETE FROM FailedFiles WHERE file_path = ?1", file_path);
    if (!failure)
      return tl::unexpected(failure.error());
    auto dropped = drop_partials(db, std::string(file_path));
    if (!dropped)
      return tl::unexpected(dropped.error());
    return {};
  });
  if (!st)
    return tl::unexpected(st.error());
  return retired;
}

Result<bool> SqliteStore::clear_failure(std::string_view file_path) {
  bool cleared = false;
  auto st = write(fmt::format("clear the failure of {}", file_path), [&](Connection& db) -> Status {
    auto removed = run_for_path(db, fmt::format("clear the failure of {}", file_path),
                                "DELETE FROM FailedFiles WHERE file_path = ?1", file_path);
    if (!removed)
      return tl::unexpected(removed.error());
    cleared = *removed > 0;
    auto requeued = run_for_path(db, fmt::format("re-queue {}", file_path),
                                 "UPDATE FileHashes SET status = 'pending' "
                                 "WHERE file_path = ?1 AND status = 'failed'",
                                 file_path);
    if (!requeued)
      return tl::unexpected(requeued.error());
    return {};
  });
  if (!st)
    return tl::unexpected(st.error());
  return cleared;
}

Result<std::int64_t> SqliteStore::clear_all_failures() {
  std::int64_t cleared = 0;
  auto st = write("clear all failures", [&](Connection& db) -> Status {
    auto removed = db.exec("clear all failures", "DELETE FROM FailedFiles");
    if (!removed)
      return removed;
    cleared = db.changes();
    return db.exec("re-queue the failed files",
                   "UPDATE FileHashes SET status = 'pending' WHERE status = 'failed'");
  });
  if (!st)
    return tl::unexpected(st.error());
  return cleared;
}

namespace {

Status put_state(Connection& db, std::string_view key, std::string_view value) {
  auto stmt = db.prepare(fmt::format("set state '{}'", key),
                         "INSERT INTO AppState (key, value) VALUES (?1, ?2) "
                         "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  if (!stmt)
    return tl::unexpected(stmt.error());
  return stmt->bind(1, key).bind(2, value).run();
}

}  // namespace

Status SqliteStore::set_state(std::string_view key, std::string_view value) {
  return write(fmt::format("set state '{}'", key),
               [&](Connection& db) -> Status { return put_state(db, key, value); });
}

// The run record as AppState keys (store/run_state.hpp), the fields named in one transaction.
Status SqliteStore::write_run(const RunRecord& run, RunFields fields) {
  auto entries = run_state_entries(run, fields);
  return write("record the run", [&](Connection& db) -> Status {
    for (const auto& [key, value] : entries)
      if (auto st = put_state(db, key, value); !st)
        return st;
    return {};
  });
}

}  // namespace g2d::store
