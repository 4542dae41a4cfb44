// The SQLite store's writes. Each public operation is one write transaction (see write()).
#include "store/sqlite_store.hpp"

#include <algorithm>
#include <map>
#include <tuple>
#include <unordered_set>

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

constexpr std::string_view k_orphaned_near_duplicates = R"sql(
SELECT t.id, coalesce(g.signature, x'') FROM TrainingSamples t
  LEFT JOIN QuestionSignatures g ON g.sample_id = t.id
WHERE t.retired = 0 AND t.near_duplicate_of IN (
  SELECT id FROM TrainingSamples WHERE file_path = ?1 AND retired = 1)
ORDER BY t.id)sql";

// Samples compared at most for one near-duplicate link (the earliest of each band first): a
// question asked of thousands of files would otherwise make each new copy cost a comparison with
// every one.
constexpr int k_max_candidates = 256;

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

// The share of 4-byte slots two signatures agree on (0 when their sizes differ).
double agreement(std::string_view a, std::string_view b) {
  if (a.size() != b.size() || a.size() < 4)
    return 0;
  size_t slots = a.size() / 4;
  size_t same = 0;
  for (size_t i = 0; i < slots; ++i)
    same += a.compare(i * 4, 4, b, i * 4, 4) == 0 ? 1 : 0;
  return static_cast<double>(same) / static_cast<double>(slots);
}

struct NearLink {
  std::int64_t id = 0;
  double similarity = 0;
};

// The live sample before `before` sharing a band key with `bands` whose signature agrees best with
// `signature` (on at least half its slots); none when there is no such sample. Candidates are the
// earliest k_candidates_per_band live samples of each band, read in the band's index order: a
// question every file is asked ("What does this function do?") fills its bands with thousands of
// samples, and reading them all for each new sample would make a run quadratic.
Result<NearLink> best_near_duplicate(Connection& db, std::int64_t before,
                                     std::string_view signature,
                                     const std::vector<std::int64_t>& bands) {
  NearLink best;
  if (signature.empty() || bands.empty())
    return best;
  const int per_band = std::max(1, k_max_candidates / static_cast<int>(bands.size()));
  std::unordered_set<std::int64_t> seen;
  std::vector<std::int64_t> candidates;
  for (std::int64_t band : bands) {
    auto stmt = db.prepare("find near-duplicate questions",
                           "SELECT b.sample_id FROM QuestionBands b "
                           "JOIN TrainingSamples t ON t.id = b.sample_id "
                           "WHERE b.band_key = ?1 AND b.sample_id < ?2 AND t.retired = 0 "
                           "ORDER BY b.sample_id LIMIT ?3");
    if (!stmt)
      return tl::unexpected(stmt.error());
    stmt->bind(1, band).bind(2, before).bind(3, per_band);
    candidates.clear();
    for (;;) {
      auto row = stmt->step();
      if (!row)
        return tl::unexpected(row.error());
      if (!*row)
        break;
      if (std::int64_t id = stmt->column_int(0); seen.insert(id).second)
        candidates.push_back(id);
    }
    for (std::int64_t id : candidates) {
      auto sig = db.prepare("read a question's signature",
                            "SELECT signature FROM QuestionSignatures WHERE sample_id = ?1");
      if (!sig)
        return tl::unexpected(sig.error());
      auto row = sig->bind(1, id).step();
      if (!row)
        return tl::unexpected(row.error());
      if (!*row)
        continue;
      double similarity = agreement(signature, sig->column_blob(0));
      if (similarity >= 0.5 &&
          (similarity > best.similarity || (similarity == best.similarity && id < best.id)))
        best = {id, similarity};
    }
    // An identical signature shares every band, so the first band already held the earliest one.
    if (best.similarity >= 1.0)
      break;
  }
  return best;
}

Status set_near_link(Connection& db, std::int64_t id, const NearLink& link) {
  auto update = db.prepare("link a near-duplicate question",
                           "UPDATE TrainingSamples SET near_duplicate_of = ?2, "
                           "near_duplicate_similarity = ?3 WHERE id = ?1");
  if (!update)
    return tl::unexpected(update.error());
  update->bind(1, id);
  if (link.id == 0)
    update->bind_null(2).bind_null(3);
  else
    update->bind(2, link.id).bind(3, link.similarity);
  return update->run();
}

// Keeps the question's signature and band keys, and links it to its nearest earlier question.
Status index_question(Connection& db, std::int64_t id, const SampleRecord& s) {
  if (s.question_signature.empty())
    return {};
  auto link = best_near_duplicate(db, id, s.question_signature, s.question_bands);
  if (!link)
    return tl::unexpected(link.error());
  if (link->id != 0)
    if (auto st = set_near_link(db, id, *link); !st)
      return st;
  auto sig = db.prepare("keep a question signature",
                        "INSERT INTO QuestionSignatures (sample_id, signature) VALUES (?1, ?2)");
  auto band =
      db.prepare("keep a question band",
                 "INSERT OR IGNORE INTO QuestionBands (band_key, sample_id) VALUES (?1, ?2)");
  if (!sig)
    return tl::unexpected(sig.error());
  if (!band)
    return tl::unexpected(band.error());
  if (auto st = sig->bind(1, id).bind_blob(2, s.question_signature).run(); !st)
    return st;
  for (std::int64_t key : s.question_bands) {
    band->reset();
    if (auto st = band->bind(1, key).bind(2, id).run(); !st)
      return st;
  }
  return {};
}

// After the samples of `path` were retired: the live samples linked to one of them are linked to
// the next original (or none), so a link always names a live sample.
Status relink_after_retiring(Connection& db, const std::string& path) {
  auto exact = run_for_path(db, fmt::format("re-link the duplicates of {}", path),
                            k_relink_duplicates, path);
  if (!exact)
    return tl::unexpected(exact.error());
  auto orphans =
      db.prepare(fmt::format("find the near duplicates of {}", path), k_orphaned_near_duplicates);
  if (!orphans)
    return tl::unexpected(orphans.error());
  orphans->bind(1, path);
  std::vector<std::pair<std::int64_t, std::string>> relink;
  for (;;) {
    auto row = orphans->step();
    if (!row)
      return tl::unexpected(row.error());
    if (!*row)
      break;
    relink.emplace_back(orphans->column_int(0), orphans->column_blob(1));
  }
  for (const auto& [id, signature] : relink) {
    auto bands = db.prepare("read question bands",
                            "SELECT band_key FROM QuestionBands WHERE sample_id = ?1");
    if (!bands)
      return tl::unexpected(bands.error());
    bands->bind(1, id);
    std::vector<std::int64_t> keys;
    for (;;) {
      auto row = bands->step();
      if (!row)
        return tl::unexpected(row.error());
      if (!*row)
        break;
      keys.push_back(bands->column_int(0));
    }
    auto link = best_near_duplicate(db, id, signature, keys);
    if (!link)
      return tl::unexpected(link.error());
    if (auto st = set_near_link(db, id, *link); !st)
      return st;
  }
  return {};
}

// Inserts the samples, and each distinct unit (line range, scope, code) among them once.
Status insert_samples(Connection& db, const std::string& path,
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
    st = index_question(db, db.last_insert_rowid(), s);
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
  auto tx = sqlite::Transaction::begin(m_connection, sqlite::Transaction::Kind::write);
  if (!tx)
    return tl::unexpected(tx.error());
  auto st = body(m_connection);
  if (!st)
    return st;  // the transaction rolls back
  return tx->commit();
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
      if (st = relink_after_retiring(db, path); !st)
        return st;
    st = insert_samples(db, path, samples);
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
      if (auto relinked = relink_after_retiring(db, std::string(file_path)); !relinked)
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
