// store/migrations.hpp — the numbered schema migrations of the SQLite store, and applying them.
//
// The schema version lives in `PRAGMA user_version` (0: an empty database). Migration N takes the
// schema from version N-1 to N; each runs in its own write transaction together with the version
// bump, so a crash leaves the database at some whole version. Migrations are only ever appended:
// an existing one is never edited once released.
//
// Thread-safety: the list is immutable; apply_migrations needs exclusive use of the connection.
#pragma once

#include <span>
#include <string_view>

#include "core/error.hpp"
#include "store/sqlite.hpp"

namespace g2d::store {

struct Migration {
  int version;            // 1, 2, 3, ... without gaps
  std::string_view name;  // what it does, for error messages
  std::string_view sql;
};

std::span<const Migration> migrations();
int latest_schema_version();

// Reads the database's schema version (a "not a database" file fails here).
Result<int> read_schema_version(sqlite::Connection& connection);

// Applies every migration newer than the database's version and returns the resulting version.
// Safe against another process migrating the same file at the same time: each step re-reads the
// version under the write lock.
Result<int> apply_migrations(sqlite::Connection& connection);

}  // namespace g2d::store
