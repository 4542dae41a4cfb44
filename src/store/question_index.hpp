// store/question_index.hpp — the SQLite store's near-duplicate question index: each question's
// signature (QuestionSignatures) and band keys (QuestionBands), and the link from a sample to its
// nearest earlier live question. Internal to the store library.
//
// The band keys of a sample are random, so writing its 16 QuestionBands rows in its file's
// transaction dirtied pages all over that table in every commit. They are written in batches
// instead: a committed sample's keys wait in PendingQuestionBands (one row per sample, appended —
// written with its file, so they survive a crash) and in memory, and flush() moves every waiting
// sample into QuestionBands in one transaction, in key order. Lookups read both, so the links are
// the same as if every row had been written at once: QuestionBands holds only samples older than
// every waiting one, whose ids come after them in each band.
//
// Most bands of a question are shared with no earlier one: a Bloom filter of every key in the
// index (loaded at the first lookup, rebuilt larger as it fills; no false negatives) spares those
// lookups, and the signatures of candidates — the earliest questions of crowded bands, read again
// and again — are kept in memory.
//
// Ownership: plain values; the connection is borrowed for each call.
// Thread-safety: none; the SqliteStore calls it under its mutex.
// Errors: the SQLite errors of the statements it runs (kind `store`).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/sqlite.hpp"
#include "store/store.hpp"

namespace g2d::store {

class QuestionIndex {
 public:
  // Samples whose band keys may wait before a flush: 8,192 samples (about 12 MiB of memory) is
  // about 1,600 files of 5 questions between two writes of the band index.
  static constexpr std::size_t k_flush_samples = 8192;

  // Inside the transaction that inserted sample `id`: links it to its nearest earlier live
  // question, and keeps its signature and (waiting) band keys. No-op without a signature.
  Status add(sqlite::Connection& db, std::int64_t id, const SampleRecord& sample);

  // Inside the transaction that retired the samples of `path`: each live sample whose near
  // original was one of them is linked again to its nearest earlier live question (or none).
  Status relink_after_retiring(sqlite::Connection& db, const std::string& path);

  // Around a write transaction: begin() marks what is waiting; rollback() forgets what add() kept
  // in memory since then, when that transaction did not commit.
  void begin() { m_mark = m_waiting.size(); }
  void rollback();

  std::size_t waiting() const { return m_waiting.size(); }

  // In a transaction of its own (none may be open): moves every waiting sample's band keys — the
  // ones in memory and any left in PendingQuestionBands by a process that ended first — into
  // QuestionBands. On an error nothing moves and they keep waiting.
  Status flush(sqlite::Connection& db);

 private:
  struct Waiting {
    std::int64_t id = 0;
    std::vector<std::int64_t> keys;  // ascending, distinct (the order QuestionBands reads them)
  };

  // The live samples before `before` sharing band `key`, the earliest first, at most `limit`.
  Status candidates(sqlite::Connection& db, std::int64_t key, std::int64_t before, int limit,
                    std::vector<std::int64_t>& out);
  struct Link {
    std::int64_t id = 0;
    double similarity = 0;
  };
  Result<Link> best(sqlite::Connection& db, std::int64_t before, std::string_view signature,
                    const std::vector<std::int64_t>& keys);
  Result<std::vector<std::int64_t>> keys_of(sqlite::Connection& db, std::int64_t id);
  void remember(std::int64_t id, std::vector<std::int64_t> keys);
  // The stored signature of question `id` (empty when it has none), from the cache or the
  // database; the view is valid until the next call.
  Result<std::string_view> signature_of(sqlite::Connection& db, std::int64_t id);
  // Loads the filter at the first call, and rebuilds it larger once it holds more keys than it
  // was sized for.
  Status ready_filter(sqlite::Connection& db);
  bool may_have(std::int64_t key) const;
  void set_filter(std::int64_t key);

  std::vector<Waiting> m_waiting;                                                // ascending ids
  std::unordered_map<std::int64_t, std::vector<std::int64_t>> m_waiting_by_key;  // ascending ids
  std::size_t m_mark = 0;

  std::vector<std::uint64_t> m_filter;  // bits; empty until loaded
  std::size_t m_filter_keys = 0;        // keys set (repeats counted)
  std::size_t m_filter_capacity = 0;    // keys it was sized for
  // Signatures read, by sample id; cleared when full, and on a rollback (whose ids come again).
  std::unordered_map<std::int64_t, std::string> m_signatures;
};

}  // namespace g2d::store
