// llm.base_urls: several servers in one run, each line "URL [parallel=N] [weight=N]
// [api_key_env=NAME]" (nginx's upstream `server` lines), and the checks that involve base_url and
// the backend.
#include "config/endpoints.hpp"

#include <gmock/gmock.h>

#include "fixture.hpp"

namespace g2d::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ParseEndpoint, AUrlAloneTakesTheDefaults) {
  auto e = parse_endpoint("http://gpu1:8080");
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->url, "http://gpu1:8080");
  EXPECT_EQ(e->parallel, 0);
  EXPECT_EQ(e->weight, 1);
  EXPECT_EQ(e->api_key_env, "");
}

TEST(ParseEndpoint, OptionsInAnyOrderWithAnySpacing) {
  auto e = parse_endpoint("  https://box.lan/v1\tweight=3  api_key_env=BOX_KEY parallel=8 ");
  ASSERT_TRUE(e) << e.error().message;
  EXPECT_EQ(e->url, "https://box.lan/v1");
  EXPECT_EQ(e->parallel, 8);
  EXPECT_EQ(e->weight, 3);
  EXPECT_EQ(e->api_key_env, "BOX_KEY");
}

TEST(ParseEndpoint, EachMistakeIsNamed) {
  auto message = [](std::string_view text) {
    auto e = parse_endpoint(text);
    EXPECT_FALSE(e) << text;
    return e ? std::string() : e.error().message;
  };
  EXPECT_THAT(message(""), HasSubstr("a URL starting with http:// or https://"));
  EXPECT_THAT(message("gpu1:8080"), HasSubstr("a URL starting with http:// or https://"));
  EXPECT_THAT(message("http://"), HasSubstr("a URL starting with http:// or https://"));
  EXPECT_THAT(message("http://a parallel=0"), HasSubstr("parallel takes an integer from 1 to 256"));
  EXPECT_THAT(message("http://a parallel=x"), HasSubstr("parallel takes an integer from 1 to 256"));
  EXPECT_THAT(message("http://a parallel=257"),
              HasSubstr("parallel takes an integer from 1 to 256"));
  EXPECT_THAT(message("http://a weight=0"), HasSubstr("weight takes an integer from 1 to 100"));
  EXPECT_THAT(message("http://a weight=1.5"), HasSubstr("weight takes an integer from 1 to 100"));
  EXPECT_THAT(message("http://a api_key_env=my-key"),
              HasSubstr("api_key_env takes an environment variable's name"));
  EXPECT_THAT(message("http://a slots=2"),
              HasSubstr("unknown option \"slots\" (known: parallel, weight, api_key_env)"));
  EXPECT_THAT(message("http://a parallel"), HasSubstr("\"parallel\" is not name=value"));
  EXPECT_THAT(message("http://a parallel=2 parallel=3"), HasSubstr("parallel is given twice"));
}

TEST_F(ConfigTest, BaseUrlsLoadFromAListAndDescribeEachServer) {
  auto loaded = load_yaml(
      "llm:\n  backend: openai\n  model: m\n  base_urls:\n    - http://gpu1:8080\n"
      "    - http://gpu2:8080 parallel=2 weight=3 api_key_env=GPU2_KEY\n");
  ASSERT_TRUE(loaded) << loaded.error().message;
  auto list = endpoints(loaded->config);
  ASSERT_EQ(list.size(), 2U);
  EXPECT_EQ(list[0].url, "http://gpu1:8080");
  EXPECT_EQ(list[1].parallel, 2);
  EXPECT_EQ(list[1].weight, 3);
  EXPECT_EQ(list[1].api_key_env, "GPU2_KEY");
  EXPECT_FALSE(loaded->config.llm.allow_mixed_models);
}

TEST_F(ConfigTest, BaseUrlIsAListOfOne) {
  auto loaded = load_yaml("llm:\n  backend: ollama\n  model: m\n  base_url: http://h:11434\n");
  ASSERT_TRUE(loaded) << loaded.error().message;
  auto list = endpoints(loaded->config);
  ASSERT_EQ(list.size(), 1U);
  EXPECT_EQ(list[0].url, "http://h:11434");
  EXPECT_TRUE(endpoints(Config{}).empty());
}

TEST_F(ConfigTest, ABadServerLineNamesItsItemAndLine) {
  EXPECT_THAT(error_of("llm:\n  backend: openai\n  model: m\n  base_urls:\n    - http://a:1\n"
                       "    - http://b:2 parallel=x\n"),
              HasSubstr("llm.base_urls[1]: expected URL [parallel=N] [weight=N] "
                        "[api_key_env=NAME] (parallel takes an integer from 1 to 256), got "
                        "\"http://b:2 parallel=x\" (line 6)"));
}

TEST_F(ConfigTest, APasswordInABadServerLineIsNotShown) {
  auto message = error_of(
      "llm:\n  backend: openai\n  model: m\n  base_urls: [\"http://me:s3cret@a:1 x=1\"]\n");
  EXPECT_THAT(message, HasSubstr("got \"http://***@a:1 x=1\""));
  EXPECT_THAT(message, Not(HasSubstr("s3cret")));
  EXPECT_EQ(without_userinfo("https://u:p@h/v1 http://h2 http://a@b:1/x@y"),
            "https://***@h/v1 http://h2 http://***@b:1/x@y");
}

TEST_F(ConfigTest, BaseUrlsFromTheEnvironmentAreCommaSeparated) {
  auto loaded =
      load_yaml("llm:\n  backend: openai\n  model: m\n",
                {{"GIT2DATASET_LLM_BASE_URLS", "http://a:1 parallel=2, http://b:2 weight=2"}});
  ASSERT_TRUE(loaded) << loaded.error().message;
  auto list = endpoints(loaded->config);
  ASSERT_EQ(list.size(), 2U);
  EXPECT_EQ(list[0].parallel, 2);
  EXPECT_EQ(list[1].url, "http://b:2");
  EXPECT_EQ(list[1].weight, 2);
}

TEST_F(ConfigTest, BaseUrlAndBaseUrlsTogetherAreRefused) {
  EXPECT_THAT(error_of("llm:\n  backend: openai\n  model: m\n  base_url: http://a:1\n"
                       "  base_urls: [http://b:2]\n"),
              HasSubstr("llm.base_urls: set llm.base_url (one server) or llm.base_urls (several), "
                        "not both (llm.base_url at line 4)"));
}

TEST_F(ConfigTest, BaseUrlsNeedAServerBackend) {
  EXPECT_THAT(error_of("llm:\n  base_urls: [http://a:1, http://b:2]\n"),
              HasSubstr("llm.base_urls: the llama_cpp backend runs in this process and takes no "
                        "server (line 2); set llm.backend to openai, ollama or mlx"));
}

TEST_F(ConfigTest, TheSameServerTwiceIsRefused) {
  EXPECT_THAT(error_of("llm:\n  backend: openai\n  model: m\n"
                       "  base_urls: [http://a:1, \"http://a:1/ parallel=2\"]\n"),
              HasSubstr("llm.base_urls[1]: the same server as llm.base_urls[0] (line 4)"));
}

TEST_F(ConfigTest, AllowMixedModelsIsABoolean) {
  auto loaded = load_yaml("llm:\n  allow_mixed_models: true\n");
  ASSERT_TRUE(loaded) << loaded.error().message;
  EXPECT_TRUE(loaded->config.llm.allow_mixed_models);
}

}  // namespace
}  // namespace g2d::config
