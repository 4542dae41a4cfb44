#include "store/question_index.hpp"

#include <algorithm>
#include <cstring>
#include <unordered_set>

namespace g2d::store {

using sqlite::Connection;

namespace {

// Samples compared at most for one near-duplicate link (the earliest of each band first): a
// question asked of thousands of files would otherwise make each new copy cost a comparison with
// every one.
constexpr int k_max_candidates = 256;

constexpr std::string_view k_band_candidates = R"sql(
SELECT b.sample_id FROM QuestionBands b JOIN TrainingSamples t ON t.id = b.sample_id
WHERE b.band_key = ?1 AND b.sample_id < ?2 AND t.retired = 0
ORDER BY b.sample_id LIMIT ?3)sql";

constexpr std::string_view k_orphaned_near_duplicates = R"sql(
SELECT t.id, coalesce(g.signature, x'') FROM TrainingSamples t
  LEFT JOIN QuestionSignatures g ON g.sample_id = t.id
WHERE t.retired = 0 AND t.near_duplicate_of IN (
  SELECT id FROM TrainingSamples WHERE file_path = ?1 AND retired = 1)
ORDER BY t.id)sql";

// The Bloom filter: 10 bits and 7 probes per key (about 1% false positives), never sized for
// fewer than 1,024 keys.
constexpr std::size_t k_filter_bits_per_key = 10;
constexpr int k_filter_probes = 7;
constexpr std::size_t k_filter_min_keys = 1024;

// Signatures kept in memory at most (256 bytes each).
constexpr std::size_t k_max_cached_signatures = 16384;

std::uint64_t mix(std::uint64_t x) {  // splitmix64's finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// The share of 4-byte slots two signatures agree on (0 when their sizes differ).
double agreement(std::string_view a, std::string_view b) {
  if (a.size() != b.size() || a.size() < 4)
    return 0;
  size_t slots = a.size() / 4;
  size_t same = 0;
  for (size_t i = 0; i < slots; ++i) {
    std::uint32_t x = 0;
    std::uint32_t y = 0;
    std::memcpy(&x, a.data() + i * 4, 4);
    std::memcpy(&y, b.data() + i * 4, 4);
    same += x == y ? 1 : 0;
  }
  return static_cast<double>(same) / static_cast<double>(slots);
}

// Band keys as a BLOB of 8-byte little-endian values (PendingQuestionBands.band_keys).
std::string encode_keys(const std::vector<std::int64_t>& keys) {
  std::string bytes(keys.size() * 8, '\0');
  for (size_t i = 0; i < keys.size(); ++i) {
    auto v = static_cast<std::uint64_t>(keys[i]);
    for (size_t b = 0; b < 8; ++b)
      bytes[i * 8 + b] = static_cast<char>((v >> (8 * b)) & 0xff);
  }
  return bytes;
}

std::vector<std::int64_t> decode_keys(std::string_view bytes) {
  std::vector<std::int64_t> keys(bytes.size() / 8);
  for (size_t i = 0; i < keys.size(); ++i) {
    std::uint64_t v = 0;
    for (size_t b = 0; b < 8; ++b)
      v |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes[i * 8 + b])) << (8 * b);
    keys[i] = static_cast<std::int64_t>(v);
  }
  return keys;
}

std::vector<std::int64_t> sorted_distinct(std::vector<std::int64_t> keys) {
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

Status set_near_link(Connection& db, std::int64_t id, std::int64_t original, double similarity) {
  auto update = db.prepare("link a near-duplicate question",
                           "UPDATE TrainingSamples SET near_duplicate_of = ?2, "
                           "near_duplicate_similarity = ?3 WHERE id = ?1");
  if (!update)
    return tl::unexpected(update.error());
  update->bind(1, id);
  if (original == 0)
    update->bind_null(2).bind_null(3);
  else
    update->bind(2, original).bind(3, similarity);
  return update->run();
}

Result<bool> is_live(Connection& db, std::int64_t id) {
  auto stmt = db.prepare("read whether a sample is live",
                         "SELECT retired FROM TrainingSamples WHERE id = ?1");
  if (!stmt)
    return tl::unexpected(stmt.error());
  auto row = stmt->bind(1, id).step();
  if (!row)
    return tl::unexpected(row.error());
  return *row && stmt->column_int(0) == 0;
}

}  // namespace

bool QuestionIndex::may_have(std::int64_t key) const {
  if (m_filter.empty())
    return true;  // not loaded
  const std::uint64_t mask = m_filter.size() * 64 - 1;
  std::uint64_t h = mix(static_cast<std::uint64_t>(key));
  const std::uint64_t step = mix(h) | 1;
  for (int i = 0; i < k_filter_probes; ++i, h += step)
    if ((m_filter[(h & mask) / 64] & (std::uint64_t{1} << (h & 63))) == 0)
      return false;
  return true;
}

void QuestionIndex::set_filter(std::int64_t key) {
  ++m_filter_keys;
  if (m_filter.empty())
    return;  // not loaded yet: the load reads the key
  const std::uint64_t mask = m_filter.size() * 64 - 1;
  std::uint64_t h = mix(static_cast<std::uint64_t>(key));
  const std::uint64_t step = mix(h) | 1;
  for (int i = 0; i < k_filter_probes; ++i, h += step)
    m_filter[(h & mask) / 64] |= std::uint64_t{1} << (h & 63);
}

Status QuestionIndex::ready_filter(Connection& db) {
  if (!m_filter.empty() && m_filter_keys <= m_filter_capacity)
    return {};
  auto written = db.query_int("count the question bands", "SELECT count(*) FROM QuestionBands");
  if (!written)
    return tl::unexpected(written.error());
  std::size_t keys = static_cast<std::size_t>(*written);
  for (const Waiting& w : m_waiting)
    keys += w.keys.size();
  m_filter_capacity = std::max(k_filter_min_keys, 2 * keys);
  std::size_t words = 1;
  while (words * 64 < m_filter_capacity * k_filter_bits_per_key)
    words *= 2;
  m_filter.assign(words, 0);
  m_filter_keys = 0;
  auto scan = db.prepare("read the question bands", "SELECT band_key FROM QuestionBands");
  if (!scan)
    return tl::unexpected(scan.error());
  for (;;) {
    auto row = scan->step();
    if (!row) {
      m_filter.clear();
      return tl::unexpected(row.error());
    }
    if (!*row)
      break;
    set_filter(scan->column_int(0));
  }
  for (const Waiting& w : m_waiting)
    for (std::int64_t key : w.keys)
      set_filter(key);
  return {};
}

Result<std::string_view> QuestionIndex::signature_of(Connection& db, std::int64_t id) {
  if (auto cached = m_signatures.find(id); cached != m_signatures.end())
    return cached->second;
  auto sig = db.prepare("read a question's signature",
                        "SELECT signature FROM QuestionSignatures WHERE sample_id = ?1");
  if (!sig)
    return tl::unexpected(sig.error());
  auto row = sig->bind(1, id).step();
  if (!row)
    return tl::unexpected(row.error());
  if (!*row)
    return std::string_view();
  if (m_signatures.size() >= k_max_cached_signatures)
    m_signatures.clear();
  return m_signatures.emplace(id, sig->column_blob(0)).first->second;
}

Status QuestionIndex::candidates(Connection& db, std::int64_t key, std::int64_t before, int limit,
                                 std::vector<std::int64_t>& out) {
  if (!may_have(key))
    return {};  // no question has this band
  auto stmt = db.prepare("find near-duplicate questions", k_band_candidates);
  if (!stmt)
    return tl::unexpected(stmt.error());
  stmt->bind(1, key).bind(2, before).bind(3, limit);
  int found = 0;
  std::int64_t last = 0;
  for (;;) {
    auto row = stmt->step();
    if (!row)
      return tl::unexpected(row.error());
    if (!*row)
      break;
    last = stmt->column_int(0);
    out.push_back(last);
    ++found;
  }
  // The waiting samples come after every sample in QuestionBands — but another process opening
  // the store (the dashboard) may have written some of them already.
  auto waiting = m_waiting_by_key.find(key);
  if (waiting == m_waiting_by_key.end())
    return {};
  for (std::int64_t id : waiting->second) {
    if (found >= limit || id >= before)
      break;
    if (id <= last)
      continue;
    auto live = is_live(db, id);
    if (!live)
      return tl::unexpected(live.error());
    if (*live) {
      out.push_back(id);
      ++found;
    }
  }
  return {};
}

// The live sample before `before` sharing a band key with `keys` whose signature agrees best with
// `signature` (on at least half its slots); none when there is no such sample. Candidates are the
// earliest k_max_candidates / keys live samples of each band, read in the band's index order: a
// question every file is asked ("What does this function do?") fills its bands with thousands of
// samples, and reading them all for each new sample would make a run quadratic.
Result<QuestionIndex::Link> QuestionIndex::best(Connection& db, std::int64_t before,
                                                std::string_view signature,
                                                const std::vector<std::int64_t>& keys) {
  Link best;
  if (signature.empty() || keys.empty())
    return best;
  if (auto st = ready_filter(db); !st)
    return tl::unexpected(st.error());
  const int per_band = std::max(1, k_max_candidates / static_cast<int>(keys.size()));
  std::unordered_set<std::int64_t> seen;
  std::vector<std::int64_t> found;
  for (std::int64_t key : keys) {
    found.clear();
    if (auto st = candidates(db, key, before, per_band, found); !st)
      return tl::unexpected(st.error());
    for (std::int64_t id : found) {
      if (!seen.insert(id).second)
        continue;
      auto theirs = signature_of(db, id);
      if (!theirs)
        return tl::unexpected(theirs.error());
      if (theirs->empty())
        continue;
      double similarity = agreement(signature, *theirs);
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

void QuestionIndex::remember(std::int64_t id, std::vector<std::int64_t> keys) {
  for (std::int64_t key : keys) {
    m_waiting_by_key[key].push_back(id);
    set_filter(key);
  }
  m_waiting.push_back({id, std::move(keys)});
}

Status QuestionIndex::add(Connection& db, std::int64_t id, const SampleRecord& s) {
  if (s.question_signature.empty())
    return {};
  auto link = best(db, id, s.question_signature, s.question_bands);
  if (!link)
    return tl::unexpected(link.error());
  if (link->id != 0)
    if (auto st = set_near_link(db, id, link->id, link->similarity); !st)
      return st;
  auto sig = db.prepare("keep a question signature",
                        "INSERT INTO QuestionSignatures (sample_id, signature) VALUES (?1, ?2)");
  if (!sig)
    return tl::unexpected(sig.error());
  if (auto st = sig->bind(1, id).bind_blob(2, s.question_signature).run(); !st)
    return st;
  if (s.question_bands.empty())
    return {};
  auto keys = sorted_distinct(s.question_bands);
  auto pending = db.prepare("keep a question's band keys",
                            "INSERT INTO PendingQuestionBands (sample_id, band_keys) "
                            "VALUES (?1, ?2)");
  if (!pending)
    return tl::unexpected(pending.error());
  if (auto st = pending->bind(1, id).bind_blob(2, encode_keys(keys)).run(); !st)
    return st;
  remember(id, std::move(keys));
  return {};
}

void QuestionIndex::rollback() {
  // The ids of the samples rolled back are given to the next ones: forget their signatures. Their
  // keys stay in the filter (a false positive costs one lookup).
  m_signatures.clear();
  while (m_waiting.size() > m_mark) {
    const Waiting& last = m_waiting.back();
    for (std::int64_t key : last.keys) {
      auto ids = m_waiting_by_key.find(key);
      ids->second.pop_back();  // the last sample added to the band is this one
      if (ids->second.empty())
        m_waiting_by_key.erase(ids);
    }
    m_waiting.pop_back();
  }
}

Result<std::vector<std::int64_t>> QuestionIndex::keys_of(Connection& db, std::int64_t id) {
  auto waiting = std::lower_bound(m_waiting.begin(), m_waiting.end(), id,
                                  [](const Waiting& w, std::int64_t v) { return w.id < v; });
  if (waiting != m_waiting.end() && waiting->id == id)
    return waiting->keys;
  auto bands =
      db.prepare("read question bands", "SELECT band_key FROM QuestionBands WHERE sample_id = ?1");
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
  return keys;
}

Status QuestionIndex::relink_after_retiring(Connection& db, const std::string& path) {
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
    auto keys = keys_of(db, id);
    if (!keys)
      return tl::unexpected(keys.error());
    auto link = best(db, id, signature, *keys);
    if (!link)
      return tl::unexpected(link.error());
    if (auto st = set_near_link(db, id, link->id, link->similarity); !st)
      return st;
  }
  return {};
}

Status QuestionIndex::flush(Connection& db) {
  auto tx = sqlite::Transaction::begin(db, sqlite::Transaction::Kind::write);
  if (!tx)
    return tl::unexpected(tx.error());
  // The table is the whole truth: what this process added, and what one that ended left.
  auto pending = db.prepare("read the waiting band keys",
                            "SELECT sample_id, band_keys FROM PendingQuestionBands");
  if (!pending)
    return tl::unexpected(pending.error());
  std::vector<std::pair<std::int64_t, std::int64_t>> rows;  // (band key, sample id)
  for (;;) {
    auto row = pending->step();
    if (!row)
      return tl::unexpected(row.error());
    if (!*row)
      break;
    const std::int64_t id = pending->column_int(0);
    for (std::int64_t key : decode_keys(pending->column_blob(1)))
      rows.emplace_back(key, id);
  }
  pending->reset();
  if (rows.empty())
    return tx->commit();
  // In key order, each page of the index is written once.
  std::sort(rows.begin(), rows.end());
  auto insert = db.prepare("index question bands",
                           "INSERT OR IGNORE INTO QuestionBands (band_key, sample_id) "
                           "VALUES (?1, ?2)");
  if (!insert)
    return tl::unexpected(insert.error());
  for (const auto& [key, id] : rows) {
    insert->reset();
    if (auto st = insert->bind(1, key).bind(2, id).run(); !st)
      return st;
  }
  if (auto st = db.exec("clear the waiting band keys", "DELETE FROM PendingQuestionBands"); !st)
    return st;
  if (auto st = tx->commit(); !st)
    return st;
  m_waiting.clear();
  m_waiting_by_key.clear();
  m_mark = 0;
  return {};
}

}  // namespace g2d::store
