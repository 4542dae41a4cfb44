// The SQLite store's reads: point lookups and counts on the shared connection, iterations on a
// private snapshot connection.
#include <sqlite3.h>

#include "store/sqlite_store.hpp"

namespace g2d::store {

using sqlite::Connection;
using sqlite::Statement;

namespace {

constexpr std::string_view k_file_columns =
    "file_path, repo, commit_sha, file_hash, language, status, settings_fingerprint, "
    "last_processed";

// Of TrainingSamples s LEFT JOIN SampleUnits u (samples stored before v3 have no unit) LEFT JOIN
// FileHashes f.
constexpr std::string_view k_sample_columns =
    "s.id, s.file_path, s.question, s.answer, s.model_used, s.repo_url, s.commit_sha, "
    "s.file_hash, s.line_start, s.line_end, s.prompt_version, s.settings_fingerprint, "
    "s.prompt_tokens, s.completion_tokens, s.quality_flags, s.created_at, s.retired, "
    "coalesce(u.code, ''), coalesce(u.scope, ''), s.grounding, coalesce(s.duplicate_key, 0), "
    "coalesce(s.duplicate_of, 0), coalesce(s.near_duplicate_of, 0), "
    "coalesce(s.near_duplicate_similarity, 0)";

// Reads a row selected with k_file_columns.
Result<FileRecord> read_file_row(const Connection& db, const Statement& row) {
  FileRecord file;
  file.file_path = row.column_text(0);
  file.repo = row.column_text(1);
  file.commit_sha = row.column_text(2);
  file.file_hash = row.column_text(3);
  file.language = row.column_text(4);
  std::string status = row.column_text(5);
  auto parsed = parse_file_status(status);
  if (!parsed) {
    return fail(ErrorKind::store, "{} holds an unknown status '{}' for {}", db.path().string(),
                status, file.file_path);
  }
  file.status = *parsed;
  file.settings_fingerprint = row.column_text(6);
  file.last_processed = row.column_int(7);
  return file;
}

// Reads a row selected with k_sample_columns into `s`, reusing its strings (a long scan allocates
// nothing once they have grown). The file's language and repository folder are read apart.
void read_sample_row(const Statement& row, SampleRecord& s) {
  s.id = row.column_int(0);
  s.file_path.assign(row.column_text_view(1));
  s.question.assign(row.column_text_view(2));
  s.answer.assign(row.column_text_view(3));
  s.model_used.assign(row.column_text_view(4));
  s.repo_url.assign(row.column_text_view(5));
  s.commit_sha.assign(row.column_text_view(6));
  s.file_hash.assign(row.column_text_view(7));
  s.line_start = static_cast<int>(row.column_int(8));
  s.line_end = static_cast<int>(row.column_int(9));
  s.prompt_version.assign(row.column_text_view(10));
  s.settings_fingerprint.assign(row.column_text_view(11));
  s.prompt_tokens = row.column_int(12);
  s.completion_tokens = row.column_int(13);
  s.quality_flags.assign(row.column_text_view(14));
  s.created_at = row.column_int(15);
  s.retired = row.column_int(16) != 0;
  s.code.assign(row.column_text_view(17));
  s.scope.assign(row.column_text_view(18));
  s.grounding = row.column_is_null(19) ? std::nullopt : std::optional(row.column_double(19));
  s.duplicate_key = row.column_int(20);
  s.duplicate_of = row.column_int(21);
  s.near_duplicate_of = row.column_int(22);
  s.near_duplicate_similarity = row.column_double(23);
}

// Steps `stmt` to the end, calling `on_row` for each row; stops at the first error.
Status for_each_row(Statement& stmt, const std::function<Status()>& on_row) {
  for (;;) {
    auto row = stmt.step();
    if (!row)
      return tl::unexpected(row.error());
    if (!*row)
      return {};
    auto st = on_row();
    if (!st)
      return st;
  }
}

}  // namespace

Status SqliteStore::with_snapshot(const std::function<Status(Connection&)>& body) const {
  // The path is immutable after open, so reading it needs no lock. The connection is this call's
  // alone, on this thread: SQLite's own per-call mutex would only cost time (a long export makes
  // tens of millions of column calls).
  auto db = Connection::open(m_connection.path(), SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
  if (!db)
    return tl::unexpected(db.error());
  auto tx = sqlite::Transaction::begin(*db, sqlite::Transaction::Kind::read);
  if (!tx)
    return tl::unexpected(tx.error());
  auto st = body(*db);
  if (!st)
    return st;
  return tx->commit();
}

Result<std::optional<FileRecord>> SqliteStore::get_file(std::string_view file_path) {
  std::lock_guard lock(m_mutex);
  auto stmt = m_connection.prepare(
      fmt::format("read the record of {}", file_path),
      fmt::format("SELECT {} FROM FileHashes WHERE file_path = ?1", k_file_columns));
  if (!stmt)
    return tl::unexpected(stmt.error());
  auto row = stmt->bind(1, file_path).step();
  if (!row)
    return tl::unexpected(row.error());
  if (!*row)
    return std::optional<FileRecord>();
  auto file = read_file_row(m_connection, *stmt);
  if (!file)
    return tl::unexpected(file.error());
  return std::optional<FileRecord>(std::move(*file));
}

Status SqliteStore::for_each_file(const FileVisitor& visit) {
  return with_snapshot([&](Connection& db) -> Status {
    auto stmt = db.prepare("list the files", fmt::format("SELECT {} FROM FileHashes ORDER BY "
                                                         "file_path",
                                                         k_file_columns));
    if (!stmt)
      return tl::unexpected(stmt.error());
    return for_each_row(*stmt, [&]() -> Status {
      auto file = read_file_row(db, *stmt);
      if (!file)
        return tl::unexpected(file.error());
      return visit(*file);
    });
  });
}

Status SqliteStore::for_each_sample(const SampleVisitor& visit) {
  return with_snapshot([&](Connection& db) -> Status {
    auto stmt = db.prepare("read the samples",
                           // The table in rowid (= id) order, not the (retired, id) index: most
                           // samples are live, and the index would cost a second lookup per row.
                           fmt::format("SELECT {} FROM TrainingSamples s NOT INDEXED LEFT JOIN "
                                       "SampleUnits u ON u.id = s.unit_id WHERE s.retired = 0 "
                                       "ORDER BY s.id",
                                       k_sample_columns));
    auto file = db.prepare("read the samples' files",
                           "SELECT language, repo FROM FileHashes WHERE file_path = ?1");
    if (!stmt)
      return tl::unexpected(stmt.error());
    if (!file)
      return tl::unexpected(file.error());
    SampleRecord sample;
    std::string last_file;  // a file's samples are stored together: its record is read once
    bool first = true;
    return for_each_row(*stmt, [&]() -> Status {
      read_sample_row(*stmt, sample);
      if (first || sample.file_path != last_file) {
        first = false;
        last_file = sample.file_path;
        file->reset();
        auto found = file->bind(1, last_file).step();
        if (!found)
          return tl::unexpected(found.error());
        sample.language.assign(*found ? file->column_text_view(0) : std::string_view());
        sample.repo.assign(*found ? file->column_text_view(1) : std::string_view());
      }
      return visit(sample);
    });
  });
}

Result<std::vector<FailedRecord>> SqliteStore::failed_files() {
  std::lock_guard lock(m_mutex);
  auto stmt = m_connection.prepare("list the failed files",
                                   "SELECT file_path, error_kind, error_message, retry_count, "
                                   "last_attempt FROM FailedFiles ORDER BY file_path");
  if (!stmt)
    return tl::unexpected(stmt.error());
  std::vector<FailedRecord> failed;
  auto st = for_each_row(*stmt, [&]() -> Status {
    failed.push_back(FailedRecord{stmt->column_text(0), stmt->column_text(1), stmt->column_text(2),
                                  static_cast<int>(stmt->column_int(3)), stmt->column_int(4)});
    return {};
  });
  if (!st)
    return tl::unexpected(st.error());
  return failed;
}

Result<std::vector<PartialRecord>> SqliteStore::partials(std::string_view file_path,
                                                         std::string_view file_hash,
                                                         std::string_view settings_fingerprint) {
  std::lock_guard lock(m_mutex);
  auto stmt = m_connection.prepare(fmt::format("read the partial work on {}", file_path),
                                   "SELECT unit, slot, payload FROM PartialWork WHERE file_path = "
                                   "?1 AND file_hash = ?2 AND settings_fingerprint = ?3 "
                                   "ORDER BY unit, slot");
  if (!stmt)
    return tl::unexpected(stmt.error());
  stmt->bind(1, file_path).bind(2, file_hash).bind(3, settings_fingerprint);
  std::vector<PartialRecord> work;
  auto st = for_each_row(*stmt, [&]() -> Status {
    work.push_back(PartialRecord{std::string(file_path), std::string(file_hash),
                                 std::string(settings_fingerprint), stmt->column_text(0),
                                 static_cast<int>(stmt->column_int(1)), stmt->column_text(2)});
    return {};
  });
  if (!st)
    return tl::unexpected(st.error());
  return work;
}

Result<std::optional<std::string>> SqliteStore::get_state(std::string_view key) {
  std::lock_guard lock(m_mutex);
  auto stmt = m_connection.prepare(fmt::format("read state '{}'", key),
                                   "SELECT value FROM AppState WHERE key = ?1");
  if (!stmt)
    return tl::unexpected(stmt.error());
  auto row = stmt->bind(1, key).step();
  if (!row)
    return tl::unexpected(row.error());
  if (!*row)
    return std::optional<std::string>();
  return std::optional<std::string>(stmt->column_text(0));
}

Result<std::map<std::string, std::string>> SqliteStore::state() {
  std::lock_guard lock(m_mutex);
  auto stmt = m_connection.prepare("read the state", "SELECT key, value FROM AppState");
  if (!stmt)
    return tl::unexpected(stmt.error());
  std::map<std::string, std::string> state;
  auto st = for_each_row(*stmt, [&]() -> Status {
    state.insert_or_assign(stmt->column_text(0), stmt->column_text(1));
    return {};
  });
  if (!st)
    return tl::unexpected(st.error());
  return state;
}

Result<RunRecord> SqliteStore::read_run() {
  auto all = state();
  if (!all)
    return tl::unexpected(all.error());
  return parse_run_record(*all);
}

Result<Counts> SqliteStore::counts() {
  std::lock_guard lock(m_mutex);
  auto tx = sqlite::Transaction::begin(m_connection, sqlite::Transaction::Kind::read);
  if (!tx)
    return tl::unexpected(tx.error());
  Counts counts;
  auto files = m_connection.prepare("count the files by status",
                                    "SELECT status, count(*) FROM FileHashes GROUP BY status");
  if (!files)
    return tl::unexpected(files.error());
  auto st = for_each_row(*files, [&]() -> Status {
    auto status = parse_file_status(files->column_text(0));
    std::int64_t n = files->column_int(1);
    if (status == FileStatus::pending)
      counts.files_pending = n;
    if (status == FileStatus::done)
      counts.files_done = n;
    if (status == FileStatus::failed)
      counts.files_failed = n;
    if (status == FileStatus::retired)
      counts.files_retired = n;
    return {};
  });
  if (!st)
    return tl::unexpected(st.error());
  auto samples = m_connection.prepare(
      "count the samples", "SELECT retired, count(*) FROM TrainingSamples GROUP BY retired");
  if (!samples)
    return tl::unexpected(samples.error());
  st = for_each_row(*samples, [&]() -> Status {
    (samples->column_int(0) != 0 ? counts.retired_samples : counts.live_samples) =
        samples->column_int(1);
    return {};
  });
  if (!st)
    return tl::unexpected(st.error());
  auto failed =
      m_connection.query_int("count the failed files", "SELECT count(*) FROM FailedFiles");
  if (!failed)
    return tl::unexpected(failed.error());
  counts.failed_files = *failed;
  st = tx->commit();
  if (!st)
    return tl::unexpected(st.error());
  return counts;
}

}  // namespace g2d::store
