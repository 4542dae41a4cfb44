// store/sqlite.hpp — a thin RAII layer over the sqlite3 C API: a connection with a cache of
// prepared statements, a statement, and a transaction that rolls back unless committed. Internal
// to the store library.
//
// Ownership: Connection owns its sqlite3* and its cached statements; a Statement borrows the
// Connection, which must outlive it, and either owns its sqlite3_stmt* or hands a cached one back
// (reset, bindings cleared) when it goes.
// Thread-safety: none of these may be used by two threads at once; callers serialise (SqliteStore
// holds a mutex).
// Errors: every failure is an Error of kind `store` whose message names the operation (the `what`
// given when the statement was prepared), the database file, and sqlite3_errmsg.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace g2d::store::sqlite {

class Statement;

class Connection {
 public:
  // sqlite3_open_v2 with `flags` (SQLITE_OPEN_*), then the busy timeout.
  static Result<Connection> open(const std::filesystem::path& path, int flags);

  // Runs one or more statements that return no rows we need (DDL, PRAGMA, BEGIN).
  Status exec(std::string_view what, const std::string& sql);
  // Prepares one statement; `what` names the operation in error messages ("insert a sample").
  // The same SQL text is parsed once per connection: the statement is cached and handed out again
  // when the earlier Statement has gone (a second one in use at the same time is prepared anew).
  Result<Statement> prepare(std::string_view what, std::string_view sql);
  // The first column of the first row of a query without parameters (PRAGMA user_version,
  // count(*)); 0 or "" when it returns no row.
  Result<std::int64_t> query_int(std::string_view what, std::string_view sql);
  Result<std::string> query_text(std::string_view what, std::string_view sql);

  // "cannot <what> in <path>: <sqlite3_errmsg>"
  Error error(std::string_view what) const;
  int error_code() const;  // the primary result code of the last failure
  bool in_transaction() const;
  // Whether SQLite opened the database read-only (asked to, or it could not open it for writing:
  // a read-only file opened SQLITE_OPEN_READWRITE is opened read-only without an error).
  bool read_only() const;
  std::int64_t changes() const;  // rows changed by the last statement
  std::int64_t last_insert_rowid() const;
  const std::filesystem::path& path() const { return m_path; }

 private:
  struct Close {
    void operator()(sqlite3* db) const;
  };
  Connection(std::unique_ptr<sqlite3, Close> db, std::filesystem::path path);
  // query_int and query_text: `read(statement)` on the first row, T{} without one.
  template <class T, class Read>
  Result<T> query_one(std::string_view what, std::string_view sql, Read read);

  // One cached statement; finalised when the connection goes (before m_db closes).
  struct Cached {
    sqlite3_stmt* stmt = nullptr;
    bool in_use = false;
    Cached() = default;
    Cached(const Cached&) = delete;
    Cached& operator=(const Cached&) = delete;
    ~Cached();
  };

  std::unique_ptr<sqlite3, Close> m_db;
  std::filesystem::path m_path;
  // Declared after m_db, so destroyed before it. Entries are boxed: a Statement points at its own.
  std::unordered_map<std::string, std::unique_ptr<Cached>> m_cache;

  friend class Statement;
};

class Statement {
 public:
  // Binding never fails here; a failed bind is reported by the next step().
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind_blob(int index, std::string_view bytes);
  Statement& bind_null(int index);

  // true: a row is ready (read it with the column_* calls); false: the statement is done.
  Result<bool> step();
  // Steps until done (statements that return no rows).
  Status run();
  // Makes the statement ready to bind and run again.
  void reset();

  std::int64_t column_int(int index) const;
  std::string column_text(int index) const;  // embedded NUL bytes are kept
  // The same, valid until the next step, reset or column call on this statement.
  std::string_view column_text_view(int index) const;
  std::string column_blob(int index) const;
  double column_double(int index) const;
  bool column_is_null(int index) const;

 private:
  // Finalises an owned statement; resets a cached one and marks it free.
  struct Finalize {
    Connection::Cached* cached = nullptr;
    void operator()(sqlite3_stmt* stmt) const;
  };
  Statement(Connection& connection, std::unique_ptr<sqlite3_stmt, Finalize> stmt, std::string what);

  Connection* m_connection;
  std::unique_ptr<sqlite3_stmt, Finalize> m_stmt;
  std::string m_what;
  // Keeps the first failed bind's code (`rc` of a sqlite3_bind_* call) for step() to report.
  Statement& bound(int rc);

  int m_bind_error = 0;

  friend class Connection;
};

// BEGIN on construction (begin()), ROLLBACK on destruction unless commit() succeeded.
class Transaction {
 public:
  enum class Kind {
    read,   // BEGIN: a consistent snapshot for several reads
    write,  // BEGIN IMMEDIATE: takes the write lock now, so it never fails halfway for SQLITE_BUSY
  };
  static Result<Transaction> begin(Connection& connection, Kind kind);
  Status commit();

  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

 private:
  explicit Transaction(Connection& connection) : m_connection(&connection) {}
  Connection* m_connection;  // null once committed or moved from
};

}  // namespace g2d::store::sqlite
