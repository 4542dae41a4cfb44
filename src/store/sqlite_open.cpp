// Opening the SQLite store: refusing what this build cannot use, connection settings, migrations.
#include <system_error>

#include <sqlite3.h>

#include "store/migrations.hpp"
#include "store/sqlite_store.hpp"

namespace g2d::store {

namespace fs = std::filesystem;

namespace {

// In the message of a read-only open of an older schema: what is_older_schema() looks for.
constexpr std::string_view k_older_schema = "a read-only open cannot upgrade it";

// The file must be a SQLite database whose schema this build can read; returns its version.
Result<int> check_database(sqlite::Connection& connection, OpenMode mode) {
  const std::string name = connection.path().string();
  auto version = read_schema_version(connection);
  if (!version) {
    if (connection.error_code() == SQLITE_NOTADB) {
      return fail(ErrorKind::store, "{} is not a git2dataset database (SQLite: {})", name,
                  sqlite3_errstr(SQLITE_NOTADB));
    }
    return tl::unexpected(version.error());
  }
  const int latest = latest_schema_version();
  if (*version > latest) {
    return fail(ErrorKind::store,
                "{} was written by a newer git2dataset (schema version {}); this build "
                "understands up to {}. Use a newer git2dataset, or another database file.",
                name, *version, latest);
  }
  if (*version == 0) {
    auto tables = connection.query_int("list the tables", "SELECT count(*) FROM sqlite_schema");
    if (!tables)
      return tl::unexpected(tables.error());
    if (*tables > 0) {
      return fail(ErrorKind::store,
                  "{} is not a git2dataset database: it is a SQLite database with tables but "
                  "no git2dataset schema version. Choose another file (pipeline.database).",
                  name);
    }
  }
  if (mode == OpenMode::read_only && *version < latest) {
    return fail(ErrorKind::store,
                "{} has schema version {} but this build needs {}, and {}; run a git2dataset "
                "command that writes to it (prepare) first",
                name, *version, latest, k_older_schema);
  }
  return *version;
}

// A database opened to be written must be writable: SQLite opens a file it may not write
// read-only without an error, and only the first write would fail.
Status check_writable(sqlite::Connection& connection) {
  if (!connection.read_only())
    return {};
  return fail(ErrorKind::store,
              "{} is read-only: this command writes to its database. Make the file (and its "
              "folder) writable, or choose another pipeline.database.",
              connection.path().string());
}

Status configure_writer(sqlite::Connection& connection) {
  auto mode = connection.query_text("switch to WAL journal mode", "PRAGMA journal_mode = WAL");
  if (!mode)
    return tl::unexpected(mode.error());
  const std::string& journal = *mode;
  if (journal != "wal") {
    return fail(ErrorKind::store,
                "cannot switch {} to WAL journal mode (it stays '{}'); a network file system "
                "cannot hold git2dataset's database, use a local disk",
                connection.path().string(), journal);
  }
  // Checkpoints every 40 MB of log instead of SQLite's 4 MB: each file's commit dirties pages all
  // over the duplicate-key index (and each batch of band keys most of the band index), and a page
  // written back once per 10,000 log pages instead of once per 1,000 is most of a prepare run's
  // disk traffic. A 64 MiB page cache (SQLite's default is 2 MiB) keeps the hot index pages of a
  // large store in memory: measured 701 → 745 files/s in the pipeline benchmark beside a model
  // run, within that run's noise, and kept because it costs only memory on the one writer.
  return connection.exec("set the connection's pragmas",
                         "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; "
                         "PRAGMA wal_autocheckpoint = 10000; PRAGMA cache_size = -65536");
}

}  // namespace

SqliteStore::SqliteStore(sqlite::Connection connection, OpenMode mode, int schema_version)
    : m_connection(std::move(connection)), m_mode(mode), m_schema_version(schema_version) {}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const fs::path& path, OpenMode mode) {
  if (path.empty() || path == ":memory:") {
    return fail(ErrorKind::invalid_argument,
                "the database must be a file path, not '{}' (snapshots need a second connection)",
                path.string());
  }
  std::error_code ec;
  const auto type = fs::status(path, ec).type();
  if (mode == OpenMode::read_only && type == fs::file_type::not_found) {
    return fail(ErrorKind::not_found, "database {} does not exist (has anything run yet?)",
                path.string());
  }
  // What cannot be told (no permission to look) is left to SQLite to report.
  const bool told = !ec || type == fs::file_type::not_found;
  if (told && type == fs::file_type::directory) {
    return fail(ErrorKind::store, "{} is a directory, not a database file (pipeline.database)",
                path.string());
  }
  if (told && type != fs::file_type::not_found && type != fs::file_type::regular) {
    return fail(ErrorKind::store,
                "{} is not a regular file, so not a database file "
                "(pipeline.database)",
                path.string());
  }
  if (mode == OpenMode::read_write && path.has_parent_path()) {
    fs::create_directories(path.parent_path(), ec);
    if (ec) {
      return fail(ErrorKind::store, "cannot create the folder of database {}: {}", path.string(),
                  ec.message());
    }
  }
  int flags = mode == OpenMode::read_only ? SQLITE_OPEN_READONLY
                                          : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  auto connection = sqlite::Connection::open(path, flags);
  if (!connection)
    return tl::unexpected(connection.error());

  auto version = check_database(*connection, mode);
  if (!version)
    return tl::unexpected(version.error());
  if (mode == OpenMode::read_write) {
    auto st = check_writable(*connection);
    if (!st)
      return tl::unexpected(st.error());
    st = configure_writer(*connection);
    if (!st)
      return tl::unexpected(st.error());
    version = apply_migrations(*connection);
    if (!version)
      return tl::unexpected(version.error());
    // The write lock taken and given back: what could stop a write (a read-only file system, a
    // file SQLite cannot lock) stops the open, before a caller does work it could not store.
    auto probe = sqlite::Transaction::begin(*connection, sqlite::Transaction::Kind::write);
    if (!probe) {
      return fail(ErrorKind::store, "{} cannot be written: {}", path.string(),
                  probe.error().message);
    }
  } else {
    auto st = connection->exec("make the connection read-only", "PRAGMA query_only = ON");
    if (!st)
      return tl::unexpected(st.error());
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(std::move(*connection), mode, *version));
  if (mode == OpenMode::read_write) {
    // Band keys a process that ended first left waiting.
    auto st = store->m_questions.flush(store->m_connection);
    if (!st)
      return tl::unexpected(st.error());
  }
  return store;
}

Result<std::unique_ptr<Store>> open_sqlite(const fs::path& path, OpenMode mode) {
  auto store = SqliteStore::open(path, mode);
  if (!store)
    return tl::unexpected(store.error());
  return std::unique_ptr<Store>(std::move(*store));
}

bool is_older_schema(const Error& error) {
  return error.kind == ErrorKind::store && error.message.find(k_older_schema) != std::string::npos;
}

}  // namespace g2d::store
