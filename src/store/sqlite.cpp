#include "store/sqlite.hpp"

#include <utility>

#include <sqlite3.h>

namespace g2d::store::sqlite {

// STRICT tables (migrations.cpp) and sqlite3_changes64 need SQLite 3.37 (2021-11) or newer.
static_assert(SQLITE_VERSION_NUMBER >= 3037000, "git2dataset needs SQLite 3.37 or newer");

namespace {

// How long a connection waits for another connection's write lock before SQLITE_BUSY. Writes are
// short transactions, so a wait this long means something is stuck.
constexpr int k_busy_timeout_ms = 5000;

// The store uses a few dozen distinct statements; more than this are prepared without caching.
constexpr size_t k_max_cached_statements = 64;

}  // namespace

void Connection::Close::operator()(sqlite3* db) const {
  // Every Statement goes before its Connection, and the cache is finalised before m_db closes;
  // close_v2 still waits for any statement left over instead of failing with SQLITE_BUSY.
  sqlite3_close_v2(db);
}

Connection::Connection(std::unique_ptr<sqlite3, Close> db, std::filesystem::path path)
    : m_db(std::move(db)), m_path(std::move(path)) {}

Result<Connection> Connection::open(const std::filesystem::path& path, int flags) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  std::unique_ptr<sqlite3, Close> db(raw);
  if (rc != SQLITE_OK) {
    return fail(ErrorKind::store, "cannot open database {}: {}", path.string(),
                raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
  }
  sqlite3_extended_result_codes(raw, 0);
  sqlite3_busy_timeout(raw, k_busy_timeout_ms);
  return Connection(std::move(db), path);
}

Error Connection::error(std::string_view what) const {
  return Error{ErrorKind::store, fmt::format("cannot {} in {}: {}", what, m_path.string(),
                                             sqlite3_errmsg(m_db.get()))};
}

int Connection::error_code() const {
  return sqlite3_errcode(m_db.get()) & 0xff;
}

bool Connection::read_only() const {
  return sqlite3_db_readonly(m_db.get(), "main") == 1;
}

bool Connection::in_transaction() const {
  return sqlite3_get_autocommit(m_db.get()) == 0;
}

std::int64_t Connection::changes() const {
  return sqlite3_changes64(m_db.get());
}

std::int64_t Connection::last_insert_rowid() const {
  return sqlite3_last_insert_rowid(m_db.get());
}

Status Connection::exec(std::string_view what, const std::string& sql) {
  if (sqlite3_exec(m_db.get(), sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    return tl::unexpected(error(what));
  }
  return {};
}

Connection::Cached::~Cached() {
  sqlite3_finalize(stmt);
}

Result<Statement> Connection::prepare(std::string_view what, std::string_view sql) {
  auto it = m_cache.find(std::string(sql));
  if (it != m_cache.end() && !it->second->in_use) {
    it->second->in_use = true;
    return Statement(*this,
                     std::unique_ptr<sqlite3_stmt, Statement::Finalize>(
                         it->second->stmt, Statement::Finalize{it->second.get()}),
                     std::string(what));
  }
  bool cache = it == m_cache.end() && m_cache.size() < k_max_cached_statements;
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(m_db.get(), sql.data(), static_cast<int>(sql.size()),
                              cache ? SQLITE_PREPARE_PERSISTENT : 0, &raw, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(raw);
    return tl::unexpected(error(what));
  }
  if (!cache)
    return Statement(*this,
                     std::unique_ptr<sqlite3_stmt, Statement::Finalize>(raw, Statement::Finalize{}),
                     std::string(what));
  auto entry = std::make_unique<Cached>();
  entry->stmt = raw;
  entry->in_use = true;
  Cached* cached = entry.get();
  m_cache.emplace(std::string(sql), std::move(entry));
  return Statement(
      *this, std::unique_ptr<sqlite3_stmt, Statement::Finalize>(raw, Statement::Finalize{cached}),
      std::string(what));
}

template <class T, class Read>
Result<T> Connection::query_one(std::string_view what, std::string_view sql, Read read) {
  auto stmt = prepare(what, sql);
  if (!stmt)
    return tl::unexpected(stmt.error());
  auto row = stmt->step();
  if (!row)
    return tl::unexpected(row.error());
  return *row ? read(*stmt) : T{};
}

Result<std::int64_t> Connection::query_int(std::string_view what, std::string_view sql) {
  return query_one<std::int64_t>(what, sql, [](Statement& s) { return s.column_int(0); });
}

Result<std::string> Connection::query_text(std::string_view what, std::string_view sql) {
  return query_one<std::string>(what, sql, [](Statement& s) { return s.column_text(0); });
}

void Statement::Finalize::operator()(sqlite3_stmt* stmt) const {
  if (cached == nullptr) {
    sqlite3_finalize(stmt);
    return;
  }
  // Ends the statement's run (and any read it holds open) and readies it for its next user.
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  cached->in_use = false;
}

Statement::Statement(Connection& connection, std::unique_ptr<sqlite3_stmt, Finalize> stmt,
                     std::string what)
    : m_connection(&connection), m_stmt(std::move(stmt)), m_what(std::move(what)) {}

Statement& Statement::bound(int rc) {
  if (rc != SQLITE_OK && m_bind_error == 0)
    m_bind_error = rc;
  return *this;
}

Statement& Statement::bind(int index, std::int64_t value) {
  return bound(sqlite3_bind_int64(m_stmt.get(), index, value));
}

Statement& Statement::bind(int index, std::string_view value) {
  // An empty view may have a null data(); SQLite would store NULL for it, so bind "" instead.
  const char* data = value.data() != nullptr ? value.data() : "";
  return bound(
      sqlite3_bind_text64(m_stmt.get(), index, data, value.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
}

Statement& Statement::bind(int index, double value) {
  return bound(sqlite3_bind_double(m_stmt.get(), index, value));
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  const char* data = bytes.data() != nullptr ? bytes.data() : "";
  return bound(sqlite3_bind_blob64(m_stmt.get(), index, data, bytes.size(), SQLITE_TRANSIENT));
}

Statement& Statement::bind_null(int index) {
  return bound(sqlite3_bind_null(m_stmt.get(), index));
}

Result<bool> Statement::step() {
  if (m_bind_error != 0) {
    return fail(ErrorKind::store, "cannot {} in {}: binding a value failed: {}", m_what,
                m_connection->path().string(), sqlite3_errstr(m_bind_error));
  }
  int rc = sqlite3_step(m_stmt.get());
  if (rc == SQLITE_ROW)
    return true;
  if (rc == SQLITE_DONE)
    return false;
  return tl::unexpected(m_connection->error(m_what));
}

Status Statement::run() {
  for (;;) {
    auto row = step();
    if (!row)
      return tl::unexpected(row.error());
    if (!*row)
      return {};
  }
}

void Statement::reset() {
  sqlite3_reset(m_stmt.get());
  sqlite3_clear_bindings(m_stmt.get());
  m_bind_error = 0;
}

std::int64_t Statement::column_int(int index) const {
  return sqlite3_column_int64(m_stmt.get(), index);
}

std::string Statement::column_text(int index) const {
  return std::string(column_text_view(index));
}

std::string_view Statement::column_text_view(int index) const {
  const unsigned char* text = sqlite3_column_text(m_stmt.get(), index);
  int size = sqlite3_column_bytes(m_stmt.get(), index);  // after _text, per the SQLite docs
  if (text == nullptr)
    return {};
  return {reinterpret_cast<const char*>(text), static_cast<std::size_t>(size)};
}

std::string Statement::column_blob(int index) const {
  const void* bytes = sqlite3_column_blob(m_stmt.get(), index);
  int size = sqlite3_column_bytes(m_stmt.get(), index);  // after _blob, per the SQLite docs
  if (bytes == nullptr)
    return {};
  return std::string(static_cast<const char*>(bytes), static_cast<std::size_t>(size));
}

double Statement::column_double(int index) const {
  return sqlite3_column_double(m_stmt.get(), index);
}

bool Statement::column_is_null(int index) const {
  return sqlite3_column_type(m_stmt.get(), index) == SQLITE_NULL;
}

Result<Transaction> Transaction::begin(Connection& connection, Kind kind) {
  bool write = kind == Kind::write;
  auto st = connection.exec(write ? "begin a write transaction" : "begin a read transaction",
                            write ? "BEGIN IMMEDIATE" : "BEGIN");
  if (!st)
    return tl::unexpected(st.error());
  return Transaction(connection);
}

Status Transaction::commit() {
  auto st = m_connection->exec("commit a transaction", "COMMIT");
  if (st)
    m_connection = nullptr;  // on failure the destructor rolls back
  return st;
}

Transaction::Transaction(Transaction&& other) noexcept
    : m_connection(std::exchange(other.m_connection, nullptr)) {}

Transaction::~Transaction() {
  // Some errors (SQLITE_FULL, SQLITE_IOERR, ...) roll the transaction back by themselves; a
  // ROLLBACK then would only fail with "no transaction is active".
  if (m_connection != nullptr && m_connection->in_transaction()) {
    (void)m_connection->exec("roll back a transaction", "ROLLBACK");
  }
}

}  // namespace g2d::store::sqlite
