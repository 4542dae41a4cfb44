// sqlite::Connection's statement cache: the same SQL parsed once and handed out again, never to
// two users at once, always reset and unbound when it comes back.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "store/sqlite.hpp"
#include "support.hpp"

namespace g2d::store::sqlite {
namespace {

class StatementCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db =
        Connection::open(m_dir.path() / "cache.db", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(db) << db.error().describe();
    m_db.emplace(std::move(*db));
    ASSERT_TRUE(m_db->exec("create",
                           "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), "
                           "(3)"));
  }

  // Every x the query returns, with ?1 bound to `min` when given.
  std::vector<std::int64_t> read(std::string_view sql, std::optional<std::int64_t> min = {}) {
    auto stmt = m_db->prepare("read", sql);
    EXPECT_TRUE(stmt) << stmt.error().describe();
    std::vector<std::int64_t> xs;
    if (!stmt)
      return xs;
    if (min)
      stmt->bind(1, *min);
    while (auto row = stmt->step()) {
      if (!*row)
        break;
      xs.push_back(stmt->column_int(0));
    }
    return xs;
  }

  test::TempDir m_dir;
  std::optional<Connection> m_db;
};

constexpr std::string_view k_all = "SELECT x FROM t ORDER BY x";
constexpr std::string_view k_from = "SELECT x FROM t WHERE x >= ?1 ORDER BY x";

TEST_F(StatementCacheTest, TheSameSqlInUseTwiceAtOnceGivesTwoIndependentStatements) {
  auto a = m_db->prepare("first", k_all);
  auto b = m_db->prepare("second", k_all);
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(a->step().value_or(false));
  ASSERT_TRUE(b->step().value_or(false));
  ASSERT_TRUE(a->step().value_or(false));
  EXPECT_EQ(a->column_int(0), 2);
  EXPECT_EQ(b->column_int(0), 1);  // its own cursor
}

TEST_F(StatementCacheTest, AStatementLeftMidwayComesBackResetAndUnbound) {
  {
    auto stmt = m_db->prepare("read", k_from);
    ASSERT_TRUE(stmt);
    stmt->bind(1, 2);
    ASSERT_TRUE(stmt->step().value_or(false));
    EXPECT_EQ(stmt->column_int(0), 2);
  }  // dropped after one row, with ?1 bound
  EXPECT_EQ(read(k_from, 1), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_TRUE(read(k_from).empty());  // ?1 is NULL again: no binding survives its user
  EXPECT_FALSE(m_db->in_transaction());
}

TEST_F(StatementCacheTest, ADroppedReadHoldsNoSnapshotOpen) {
  {
    auto stmt = m_db->prepare("read", k_all);
    ASSERT_TRUE(stmt);
    ASSERT_TRUE(stmt->step().value_or(false));
  }
  auto other = Connection::open(m_dir.path() / "cache.db", SQLITE_OPEN_READWRITE);
  ASSERT_TRUE(other);
  ASSERT_TRUE(other->exec("insert", "INSERT INTO t VALUES (4)"));
  EXPECT_EQ(read(k_all), (std::vector<std::int64_t>{1, 2, 3, 4}));
}

TEST_F(StatementCacheTest, ManyDistinctStatementsAndASchemaChangeAllWork) {
  for (int i = 0; i < 200; ++i) {
    auto n = m_db->query_int("count", "SELECT count(*) + " + std::to_string(i) + " FROM t");
    ASSERT_TRUE(n) << n.error().describe();
    EXPECT_EQ(*n, 3 + i);
  }
  EXPECT_EQ(read("SELECT * FROM t ORDER BY x").size(), 3U);
  ASSERT_TRUE(m_db->exec("alter", "ALTER TABLE t ADD COLUMN y INTEGER DEFAULT 7"));
  auto y = m_db->query_int("read y", "SELECT y FROM t LIMIT 1");
  ASSERT_TRUE(y) << y.error().describe();
  EXPECT_EQ(*y, 7);
  EXPECT_EQ(read("SELECT * FROM t ORDER BY x").size(), 3U);
}

TEST_F(StatementCacheTest, APrepareErrorNamesTheOperationAndCachesNothing) {
  auto bad = m_db->prepare("read the moon", "SELECT x FROM moon");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("cannot read the moon"), std::string::npos);
  EXPECT_NE(bad.error().message.find("no such table: moon"), std::string::npos);
  ASSERT_TRUE(m_db->exec("create", "CREATE TABLE moon (x INTEGER)"));
  EXPECT_TRUE(m_db->prepare("read the moon", "SELECT x FROM moon"));
}

}  // namespace
}  // namespace g2d::store::sqlite
