// The code each sample was asked about is kept with it (schema v3, SampleUnits): stored once per
// unit however many questions it has, read back with every sample, never mixed between units.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixtures.hpp"
#include "store/migrations.hpp"

namespace g2d::store::test {
namespace {

using UnitCodeTest = StoreFixture;

TEST_F(UnitCodeTest, EachSampleReadsBackTheCodeAndScopeOfItsUnit) {
  auto file = make_file("r/a.c");
  auto samples = make_samples(file, 4);
  for (size_t i = 0; i < samples.size(); ++i) {
    bool first_unit = i < 2;
    samples[i].line_start = first_unit ? 1 : 11;
    samples[i].line_end = first_unit ? 10 : 20;
    samples[i].code = first_unit ? "int a;\n" : "int b;\n";
    samples[i].scope = first_unit ? "" : "namespace n";
  }
  ASSERT_TRUE(store().commit_file(file, samples));
  auto live = live_samples(store());
  ASSERT_EQ(live.size(), 4u);
  EXPECT_EQ(live[0].code, "int a;\n");
  EXPECT_EQ(live[1].code, "int a;\n");
  EXPECT_EQ(live[2].code, "int b;\n");
  EXPECT_EQ(live[3].scope, "namespace n");
  EXPECT_EQ(live[0].scope, "");
  EXPECT_EQ(live[0].language, file.language);
  // Two units, each stored once.
  EXPECT_EQ(raw_int(db(), "SELECT count(*) FROM SampleUnits"), 2);
}

TEST_F(UnitCodeTest, ANewVersionGetsItsOwnUnitsAndTheRetiredSamplesKeepTheirs) {
  auto file = make_file("r/a.c", "h1");
  auto v1 = make_samples(file, 1, "v1");
  v1[0].code = "int v1;\n";
  ASSERT_TRUE(store().commit_file(file, v1));
  auto file2 = make_file("r/a.c", "h2");
  auto v2 = make_samples(file2, 1, "v2");
  v2[0].code = "int v2;\n";
  ASSERT_TRUE(store().commit_file(file2, v2));
  auto live = live_samples(store());
  ASSERT_EQ(live.size(), 1u);
  EXPECT_EQ(live[0].code, "int v2;\n");
  EXPECT_EQ(raw_text(db(),
                     "SELECT u.code FROM TrainingSamples s JOIN SampleUnits u ON u.id = s.unit_id "
                     "WHERE s.retired = 1"),
            "int v1;\n");
}

TEST_F(UnitCodeTest, SamplesWithoutCodeReadBackEmpty) {
  auto file = make_file("r/a.c");
  ASSERT_TRUE(store().commit_file(file, make_samples(file, 2)));
  auto live = live_samples(store());
  ASSERT_EQ(live.size(), 2u);
  EXPECT_EQ(live[0].code, "");
  EXPECT_EQ(raw_int(db(), "SELECT count(*) FROM SampleUnits"), 2);  // one per line range
}

TEST_F(UnitCodeTest, SamplesStoredBeforeUnitsWereKeptReadBackWithoutCode) {
  auto file = make_file("r/a.c");
  m_store.reset();
  write_schema_version_one(db(), file, 2);
  auto reopened = open_sqlite(db());
  ASSERT_TRUE(reopened) << reopened.error().describe();
  EXPECT_EQ((*reopened)->schema_version(), latest_schema_version());
  auto live = live_samples(**reopened);
  ASSERT_EQ(live.size(), 2u);
  EXPECT_EQ(live[0].code, "");
  EXPECT_EQ(live[0].question, "v1 q0");
  // A new version of the file gets its unit.
  auto samples = make_samples(file, 1, "v2");
  samples[0].code = "int a;\n";
  ASSERT_TRUE((*reopened)->commit_file(file, samples));
  EXPECT_EQ(live_samples(**reopened)[0].code, "int a;\n");
}

}  // namespace
}  // namespace g2d::store::test
