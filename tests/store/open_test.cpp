// Opening databases: schema creation, migrations, and refusing what this build cannot use.
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "store/migrations.hpp"
#include "store/store.hpp"
#include "support.hpp"

namespace g2d::store {
namespace {

using namespace g2d::store::test;
using ::testing::HasSubstr;

TEST(StoreOpenTest, CreatesTheSchemaInWalMode) {
  g2d::test::TempDir dir;
  auto db = dir / "sub" / "g2d.db";  // the folder does not exist yet
  auto store = open_sqlite(db);
  ASSERT_TRUE(store) << store.error().describe();
  EXPECT_EQ((*store)->schema_version(), latest_schema_version());
  EXPECT_GE(latest_schema_version(), 1);

  EXPECT_EQ(raw_text(db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(raw_int(db, "PRAGMA user_version"), latest_schema_version());
  for (const char* table : {"FileHashes", "TrainingSamples", "FailedFiles", "AppState"}) {
    EXPECT_EQ(raw_int(db, fmt::format("SELECT count(*) FROM sqlite_schema WHERE type = 'table' "
                                      "AND name = '{}'",
                                      table)),
              1)
        << table;
  }
  auto counts = (*store)->counts();
  ASSERT_TRUE(counts);
  EXPECT_EQ(*counts, Counts{});
}

TEST(StoreOpenTest, MigrationsAreNumberedFromOneWithoutGaps) {
  auto list = migrations();
  ASSERT_FALSE(list.empty());
  for (std::size_t i = 0; i < list.size(); ++i) {
    EXPECT_EQ(list[i].version, static_cast<int>(i + 1));
    EXPECT_FALSE(list[i].name.empty());
  }
  EXPECT_EQ(latest_schema_version(), static_cast<int>(list.size()));
}

TEST(StoreOpenTest, ReopenKeepsData) {
  g2d::test::TempDir dir;
  auto db = dir / "g2d.db";
  auto file = make_file("github.com/o/r/a.c");
  {
    auto store = open_sqlite(db);
    ASSERT_TRUE(store) << store.error().describe();
    ASSERT_TRUE((*store)->commit_file(file, make_samples(file, 2)));
    ASSERT_TRUE((*store)->set_state("run", "finished"));
  }
  auto store = open_sqlite(db);
  ASSERT_TRUE(store) << store.error().describe();
  auto got = (*store)->get_file(file.file_path);
  ASSERT_TRUE(got && *got);
  EXPECT_EQ(**got, file);
  EXPECT_EQ(live_samples(**store).size(), 2u);
  EXPECT_EQ((*store)->get_state("run").value(), std::optional<std::string>("finished"));
}

TEST(StoreOpenTest, RefusesANewerSchema) {
  g2d::test::TempDir dir;
  auto db = dir / "g2d.db";
  ASSERT_TRUE(open_sqlite(db));
  raw_exec(db, "PRAGMA user_version = 7");
  for (auto mode : {OpenMode::read_write, OpenMode::read_only}) {
    auto store = open_sqlite(db, mode);
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().kind, ErrorKind::store);
    EXPECT_THAT(store.error().message, HasSubstr(db.string()));
    EXPECT_THAT(store.error().message, HasSubstr("newer git2dataset (schema version 7)"));
    EXPECT_THAT(store.error().message,
                HasSubstr(fmt::format("understands up to {}", latest_schema_version())));
  }
  EXPECT_EQ(raw_int(db, "PRAGMA user_version"), 7);  // left as it was
}

TEST(StoreOpenTest, RefusesAFileThatIsNotADatabase) {
  g2d::test::TempDir dir;
  auto db = dir / "garbage.db";
  g2d::test::write_file(db, std::string(4096, 'x') + "this is not sqlite");
  for (auto mode : {OpenMode::read_write, OpenMode::read_only}) {
    auto store = open_sqlite(db, mode);
    ASSERT_FALSE(store);
    EXPECT_EQ(store.error().kind, ErrorKind::store);
    EXPECT_THAT(store.error().message, HasSubstr(db.string()));
    EXPECT_THAT(store.error().message, HasSubstr("not a database"));
  }
  EXPECT_EQ(g2d::test::read_file(db), std::string(4096, 'x') + "this is not sqlite");
}

TEST(StoreOpenTest, RefusesAnotherProgramsDatabase) {
  g2d::test::TempDir dir;
  auto db = dir / "other.db";
  g2d::test::write_file(db, "");
  raw_exec(db, "CREATE TABLE Customers(id INTEGER PRIMARY KEY)");
  auto store = open_sqlite(db);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().kind, ErrorKind::store);
  EXPECT_THAT(store.error().message, HasSubstr("not a git2dataset database"));
  EXPECT_EQ(raw_int(db, "SELECT count(*) FROM sqlite_schema WHERE name = 'FileHashes'"), 0);
}

TEST(StoreOpenTest, AnEmptyFileBecomesAStore) {
  g2d::test::TempDir dir;
  auto db = dir / "empty.db";
  g2d::test::write_file(db, "");
  auto store = open_sqlite(db);
  ASSERT_TRUE(store) << store.error().describe();
  EXPECT_EQ(raw_int(db, "PRAGMA user_version"), latest_schema_version());
}

TEST(StoreOpenTest, ReadOnlyRefusesAMissingFile) {
  g2d::test::TempDir dir;
  auto db = dir / "missing.db";
  auto store = open_sqlite(db, OpenMode::read_only);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().kind, ErrorKind::not_found);
  EXPECT_THAT(store.error().message, HasSubstr(db.string()));
  EXPECT_FALSE(std::filesystem::exists(db));
}

TEST(StoreOpenTest, ReadOnlyRefusesADatabaseThatNeedsMigrations) {
  g2d::test::TempDir dir;
  auto db = dir / "empty.db";
  g2d::test::write_file(db, "");
  auto store = open_sqlite(db, OpenMode::read_only);
  ASSERT_FALSE(store);
  EXPECT_EQ(store.error().kind, ErrorKind::store);
  EXPECT_THAT(store.error().message, HasSubstr("schema version 0"));
  EXPECT_EQ(raw_int(db, "PRAGMA user_version"), 0);
}

TEST(StoreOpenTest, ADirectoryIsNamedAsOneNotADiskError) {
  g2d::test::TempDir dir;
  std::filesystem::create_directories(dir / "g2d.db");
  for (auto mode : {OpenMode::read_write, OpenMode::read_only}) {
    auto store = open_sqlite(dir / "g2d.db", mode);
    ASSERT_FALSE(store);
    EXPECT_THAT(store.error().message, HasSubstr("g2d.db is a directory, not a database file"));
  }
}

// A file its user may not write: SQLite opens it read-only without a word, so the open for
// writing must say so. As root, permissions do not stop writes: the open runs in a child that
// has become an unprivileged user (65534); otherwise as this user.
TEST(StoreOpenTest, AReadOnlyFileIsRefusedForWriting) {
  g2d::test::TempDir dir;
  const auto db = dir / "g2d.db";
  ASSERT_TRUE(open_sqlite(db));  // created, then closed
  namespace fs = std::filesystem;
  fs::permissions(db, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  fs::permissions(dir.path(), fs::perms::all);  // the folder stays writable (-wal, -shm)
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(pipe_fds[0]);
    if (geteuid() == 0 && (setgroups(0, nullptr) != 0 || setresgid(65534, 65534, 65534) != 0 ||
                           setresuid(65534, 65534, 65534) != 0))
      _exit(2);
    auto store = open_sqlite(db, OpenMode::read_write);
    std::string message = store ? std::string("opened") : store.error().message;
    (void)!write(pipe_fds[1], message.data(), message.size());
    _exit(0);
  }
  close(pipe_fds[1]);
  std::string message;
  char buffer[512];
  for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof buffer)) > 0;)
    message.append(buffer, static_cast<size_t>(n));
  close(pipe_fds[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the child could not drop root";
  EXPECT_THAT(message, HasSubstr("g2d.db is read-only: this command writes to its database"));
  // Reading it stays possible.
  auto reader = open_sqlite(db, OpenMode::read_only);
  EXPECT_TRUE(reader) << reader.error().describe();
}

TEST(StoreOpenTest, RefusesInMemoryAndEmptyPaths) {
  EXPECT_EQ(open_sqlite(":memory:").error().kind, ErrorKind::invalid_argument);
  EXPECT_EQ(open_sqlite("").error().kind, ErrorKind::invalid_argument);
}

TEST(StoreOpenTest, ReadOnlySeesTheWritersDataAndCannotWrite) {
  g2d::test::TempDir dir;
  auto db = dir / "g2d.db";
  auto writer = open_sqlite(db);
  ASSERT_TRUE(writer) << writer.error().describe();
  auto reader = open_sqlite(db, OpenMode::read_only);
  ASSERT_TRUE(reader) << reader.error().describe();

  auto file = make_file("github.com/o/r/a.c");
  ASSERT_TRUE((*writer)->commit_file(file, make_samples(file, 3)));
  ASSERT_TRUE((*writer)->set_state("phase", "answers"));
  EXPECT_EQ((*reader)->counts()->live_samples, 3);
  EXPECT_EQ(live_samples(**reader).size(), 3u);
  EXPECT_EQ(*(*reader)->get_state("phase").value(), "answers");

  auto other = make_file("github.com/o/r/b.c");
  auto st = (*reader)->commit_file(other, make_samples(other, 1));
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().kind, ErrorKind::store);
  EXPECT_THAT(st.error().message, HasSubstr("read-only"));
  EXPECT_FALSE((*reader)->set_state("phase", "x"));
  EXPECT_FALSE((*reader)->record_failure(file.file_path, "io", "x", 1));
  EXPECT_FALSE((*reader)->retire_file(file.file_path));
  EXPECT_FALSE((*reader)->clear_all_failures());
  EXPECT_EQ(*(*writer)->get_state("phase").value(), "answers");
  EXPECT_FALSE((*writer)->get_file(other.file_path).value().has_value());
}

TEST(StoreOpenTest, ReaderSnapshotNeverBlocksTheWriter) {
  g2d::test::TempDir dir;
  auto db = dir / "g2d.db";
  auto writer = open_sqlite(db);
  ASSERT_TRUE(writer) << writer.error().describe();
  auto a = make_file("github.com/o/r/a.c");
  ASSERT_TRUE((*writer)->commit_file(a, make_samples(a, 2)));
  auto reader = open_sqlite(db, OpenMode::read_only);
  ASSERT_TRUE(reader) << reader.error().describe();

  int seen = 0;
  int written = 0;
  auto st = (*reader)->for_each_sample([&](const SampleRecord&) -> Status {
    ++seen;
    // The reader holds its snapshot open right now; the writer must still commit at once.
    auto f = make_file(fmt::format("github.com/o/r/new{}.c", written++));
    return (*writer)->commit_file(f, make_samples(f, 1));
  });
  ASSERT_TRUE(st) << st.error().describe();
  EXPECT_EQ(seen, 2);  // the snapshot does not see samples committed during the iteration
  EXPECT_EQ((*reader)->counts()->live_samples, 4);
}

}  // namespace
}  // namespace g2d::store
