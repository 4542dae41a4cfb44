#include "store/migrations.hpp"

#include <array>

namespace g2d::store {

namespace {

// Timestamps are Unix epoch milliseconds. STRICT tables (SQLite >= 3.37) reject values of the
// wrong type instead of silently storing them.
constexpr std::string_view k_v1_sql = R"sql(
CREATE TABLE FileHashes (
  file_path            TEXT PRIMARY KEY NOT NULL CHECK (file_path <> ''),
  file_hash            TEXT NOT NULL,
  last_processed       INTEGER NOT NULL,
  repo                 TEXT NOT NULL,
  commit_sha           TEXT NOT NULL,
  language             TEXT NOT NULL,
  status               TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed', 'retired')),
  settings_fingerprint TEXT NOT NULL
) STRICT;

CREATE TABLE TrainingSamples (
  id                   INTEGER PRIMARY KEY AUTOINCREMENT,
  file_path            TEXT NOT NULL REFERENCES FileHashes(file_path),
  question             TEXT NOT NULL CHECK (question <> ''),
  answer               TEXT NOT NULL CHECK (answer <> ''),
  model_used           TEXT NOT NULL,
  repo_url             TEXT NOT NULL,
  commit_sha           TEXT NOT NULL,
  file_hash            TEXT NOT NULL,
  line_start           INTEGER NOT NULL CHECK (line_start >= 1),
  line_end             INTEGER NOT NULL CHECK (line_end >= line_start),
  prompt_version       TEXT NOT NULL,
  settings_fingerprint TEXT NOT NULL,
  prompt_tokens        INTEGER NOT NULL CHECK (prompt_tokens >= 0),
  completion_tokens    INTEGER NOT NULL CHECK (completion_tokens >= 0),
  quality_flags        TEXT NOT NULL,
  created_at           INTEGER NOT NULL,
  retired              INTEGER NOT NULL DEFAULT 0 CHECK (retired IN (0, 1))
) STRICT;
-- A file's samples (replace, retire, the foreign key); live samples in id order (export, counts).
CREATE INDEX TrainingSamples_by_file ON TrainingSamples(file_path, retired);
CREATE INDEX TrainingSamples_by_retired ON TrainingSamples(retired, id);

CREATE TABLE FailedFiles (
  file_path     TEXT PRIMARY KEY NOT NULL CHECK (file_path <> ''),
  error_kind    TEXT NOT NULL,
  error_message TEXT NOT NULL,
  retry_count   INTEGER NOT NULL CHECK (retry_count >= 1),
  last_attempt  INTEGER NOT NULL
) STRICT;

CREATE TABLE AppState (
  key   TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
) STRICT;
)sql";

// The finished calls of files that are not done yet (Store::save_partial).
constexpr std::string_view k_v2_sql = R"sql(
CREATE TABLE PartialWork (
  file_path            TEXT NOT NULL CHECK (file_path <> ''),
  file_hash            TEXT NOT NULL,
  settings_fingerprint TEXT NOT NULL,
  unit                 TEXT NOT NULL CHECK (unit <> ''),
  slot                 INTEGER NOT NULL CHECK (slot >= 0),
  payload              TEXT NOT NULL,
  PRIMARY KEY (file_path, file_hash, settings_fingerprint, unit, slot)
) STRICT;
)sql";

// The code each sample is about, once per unit (the export puts it in the sample). Samples stored
// before this version have no unit (unit_id NULL) and read back with empty code.
constexpr std::string_view k_v3_sql = R"sql(
CREATE TABLE SampleUnits (
  id         INTEGER PRIMARY KEY AUTOINCREMENT,
  file_path  TEXT NOT NULL,
  file_hash  TEXT NOT NULL,
  line_start INTEGER NOT NULL,
  line_end   INTEGER NOT NULL,
  scope      TEXT NOT NULL,
  code       TEXT NOT NULL
) STRICT;
ALTER TABLE TrainingSamples ADD COLUMN unit_id INTEGER REFERENCES SampleUnits(id);
)sql";

// Quality measures (store.hpp, SampleRecord): the grounding score, exact and near duplicates. The
// links always name a live sample (re-linked when it is retired). Samples stored before this
// version have none of them (grounding NULL).
constexpr std::string_view k_v4_sql = R"sql(
ALTER TABLE TrainingSamples ADD COLUMN grounding REAL;
ALTER TABLE TrainingSamples ADD COLUMN duplicate_key INTEGER;
ALTER TABLE TrainingSamples ADD COLUMN duplicate_of INTEGER;
ALTER TABLE TrainingSamples ADD COLUMN near_duplicate_of INTEGER;
ALTER TABLE TrainingSamples ADD COLUMN near_duplicate_similarity REAL;
CREATE INDEX TrainingSamples_by_duplicate_key ON TrainingSamples(duplicate_key, id)
  WHERE duplicate_key IS NOT NULL;
CREATE INDEX TrainingSamples_by_duplicate_of ON TrainingSamples(duplicate_of)
  WHERE duplicate_of IS NOT NULL;
CREATE INDEX TrainingSamples_by_near_duplicate_of ON TrainingSamples(near_duplicate_of)
  WHERE near_duplicate_of IS NOT NULL;
CREATE TABLE QuestionSignatures (
  sample_id INTEGER PRIMARY KEY REFERENCES TrainingSamples(id),
  signature BLOB NOT NULL
) STRICT;
CREATE TABLE QuestionBands (
  band_key  INTEGER NOT NULL,
  sample_id INTEGER NOT NULL REFERENCES TrainingSamples(id),
  PRIMARY KEY (band_key, sample_id)
) STRICT, WITHOUT ROWID;
)sql";

// The band keys of questions committed but not yet in QuestionBands, one row per sample (8-byte
// little-endian keys): QuestionBands is written in batches (store/question_index.hpp).
constexpr std::string_view k_v5_sql = R"sql(
CREATE TABLE PendingQuestionBands (
  sample_id INTEGER PRIMARY KEY REFERENCES TrainingSamples(id),
  band_keys BLOB NOT NULL
) STRICT;
)sql";

constexpr std::array k_migrations{
    Migration{1, "create FileHashes, TrainingSamples, FailedFiles and AppState", k_v1_sql},
    Migration{2, "create PartialWork", k_v2_sql},
    Migration{3, "create SampleUnits", k_v3_sql},
    Migration{4, "add quality measures and duplicate links", k_v4_sql},
    Migration{5, "create PendingQuestionBands", k_v5_sql},
};

}  // namespace

std::span<const Migration> migrations() {
  return k_migrations;
}

int latest_schema_version() {
  return k_migrations.back().version;
}

Result<int> read_schema_version(sqlite::Connection& connection) {
  auto version = connection.query_int("read the schema version", "PRAGMA user_version");
  if (!version)
    return tl::unexpected(version.error());
  return static_cast<int>(*version);
}

Result<int> apply_migrations(sqlite::Connection& connection) {
  auto current = read_schema_version(connection);
  if (!current)
    return tl::unexpected(current.error());
  if (*current >= latest_schema_version())
    return *current;  // no write lock needed
  for (const Migration& migration : k_migrations) {
    auto tx = sqlite::Transaction::begin(connection, sqlite::Transaction::Kind::write);
    if (!tx)
      return tl::unexpected(tx.error());
    auto version = read_schema_version(connection);
    if (!version)
      return tl::unexpected(version.error());
    if (*version >= migration.version)
      continue;  // applied earlier, or by another process
    auto what = fmt::format("apply migration {} ({})", migration.version, migration.name);
    auto st = connection.exec(what, std::string(migration.sql));
    if (st)
      st = connection.exec(what, fmt::format("PRAGMA user_version = {}", migration.version));
    if (st)
      st = tx->commit();
    if (!st)
      return tl::unexpected(st.error());
  }
  return read_schema_version(connection);
}

}  // namespace g2d::store
