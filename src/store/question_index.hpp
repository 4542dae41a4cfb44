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
// Ownership: plain values; the connection is borrowed for each call.
// Thread-safety: none; the SqliteStore calls it under its mutex.
// Errors: the SQLite errors of the statements it runs (kind `store`).
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "store/sqlite.hpp"
#include "store/store.hpp"

namespace g2d::store {

class QuestionIndex {
 public:
  // Samples whose band keys may wait before a flush: 4,096 samples (about 4 MiB of memory) is
  // about 800 files of 5 questions between two writes of the band index.
  static constexpr std::size_t k_flush_samples = 4096;

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

  std::vector<Waiting> m_waiting;                                                // ascending ids
  std::unordered_map<std::int64_t, std::vector<std::int64_t>> m_waiting_by_key;  // ascending ids
  std::size_t m_mark = 0;
};

}  // namespace g2d::store
