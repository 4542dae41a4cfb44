// Each export format's shape, and round trips of hard text (non-ASCII, quotes, backslashes,
// control characters, very long code, invalid UTF-8) through a JSON parser.
#include "dataset/formats.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace g2d::dataset {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

ExportSample sample() {
  ExportSample s;
  s.id = 7;
  s.question = "What does add return?";
  s.answer = "The sum of a and b.";
  s.code = "int add(int a, int b) {\n  return a + b;\n}\n";
  s.file_path = "github.com/o/r/src/add.c";
  s.language = "c";
  s.line_start = 3;
  s.line_end = 5;
  s.repo_url = "https://github.com/o/r";
  s.commit_sha = "c0ffee";
  s.file_hash = "abc123";
  s.model = "tiny";
  s.prompt_version = "builtin-1";
  s.settings_fingerprint = "fp";
  s.quality_flags = "truncated";
  s.created_at = 1700000000000;
  return s;
}

FormatOptions opts(bool include_code, std::string system_prompt = "") {
  FormatOptions o;
  o.include_code = include_code;
  o.system_prompt = std::move(system_prompt);
  return o;
}

json parse(Format f, const ExportSample& s, const FormatOptions& o = {}) {
  std::string line = format_line(f, s, o);
  EXPECT_EQ(line.find('\n'), std::string::npos) << "a JSONL line holds no raw newline";
  return json::parse(line);
}

TEST(Formats, NamesRoundTrip) {
  for (Format f : {Format::alpaca, Format::sharegpt, Format::openai, Format::chatml, Format::raw})
    EXPECT_EQ(parse_format(to_string(f)), f);
  EXPECT_FALSE(parse_format("jsonl"));
}

TEST(Formats, UserMessageHasTheCodeUnderItsPathAndLinesThenTheQuestion) {
  auto user = user_message(sample(), {});
  EXPECT_EQ(user,
            "github.com/o/r/src/add.c (lines 3-5):\n```c\nint add(int a, int b) {\n  return a + "
            "b;\n}\n```\n\nWhat does add return?");
  EXPECT_EQ(user_message(sample(), opts(false)), "What does add return?");
}

TEST(Formats, AFenceInsideTheCodeGetsALongerFence) {
  auto s = sample();
  s.language = "python";
  s.code = "doc = '''\n```\nnot the end\n```\n'''\n";
  auto user = user_message(s, {});
  EXPECT_THAT(user, HasSubstr("````python\n" + std::string(s.code) + "````\n"));
}

TEST(Formats, Alpaca) {
  auto j = parse(Format::alpaca, sample());
  EXPECT_EQ(j["instruction"], "What does add return?");
  EXPECT_THAT(j["input"].get<std::string>(), HasSubstr("return a + b;"));
  EXPECT_EQ(j["output"], "The sum of a and b.");
  EXPECT_FALSE(j.contains("system"));
  EXPECT_EQ(j.size(), 3u);
  auto with = parse(Format::alpaca, sample(), opts(false, "Be brief."));
  EXPECT_EQ(with["input"], "");
  EXPECT_EQ(with["system"], "Be brief.");
}

TEST(Formats, ShareGpt) {
  auto j = parse(Format::sharegpt, sample(), opts(true, "Be brief."));
  ASSERT_EQ(j["conversations"].size(), 3u);
  EXPECT_EQ(j["conversations"][0], (json{{"from", "system"}, {"value", "Be brief."}}));
  EXPECT_EQ(j["conversations"][1]["from"], "human");
  EXPECT_THAT(j["conversations"][1]["value"].get<std::string>(), HasSubstr("What does add"));
  EXPECT_EQ(j["conversations"][2], (json{{"from", "gpt"}, {"value", "The sum of a and b."}}));
  EXPECT_EQ(parse(Format::sharegpt, sample())["conversations"].size(), 2u);
}

TEST(Formats, OpenAiMessagesAlternateAsTrainersExpect) {
  auto j = parse(Format::openai, sample(), opts(true, "Be brief."));
  ASSERT_EQ(j.size(), 1u);
  const auto& m = j["messages"];
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0]["role"], "system");
  EXPECT_EQ(m[1]["role"], "user");
  EXPECT_EQ(m[2]["role"], "assistant");
  EXPECT_EQ(m[2]["content"], "The sum of a and b.");
  for (const auto& message : m)
    EXPECT_EQ(message.size(), 2u) << "only role and content";
  auto bare = parse(Format::openai, sample())["messages"];
  ASSERT_EQ(bare.size(), 2u);
  EXPECT_EQ(bare[0]["role"], "user");
}

TEST(Formats, ChatMl) {
  auto j = parse(Format::chatml, sample(), opts(true, "Be brief."));
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j["text"], "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n" +
                           user_message(sample(), {}) +
                           "<|im_end|>\n<|im_start|>assistant\nThe sum of a and b.<|im_end|>\n");
  EXPECT_THAT(parse(Format::chatml, sample())["text"].get<std::string>(),
              Not(HasSubstr("<|im_start|>system")));
}

TEST(Formats, RawCarriesEveryColumnWithProvenance) {
  auto j = parse(Format::raw, sample());
  EXPECT_EQ(j["id"], 7);
  EXPECT_EQ(j["question"], "What does add return?");
  EXPECT_EQ(j["answer"], "The sum of a and b.");
  EXPECT_EQ(j["code"], sample().code);
  EXPECT_EQ(j["repo_url"], "https://github.com/o/r");
  EXPECT_EQ(j["commit"], "c0ffee");
  EXPECT_EQ(j["path"], "github.com/o/r/src/add.c");
  EXPECT_EQ(j["language"], "c");
  EXPECT_EQ(j["line_start"], 3);
  EXPECT_EQ(j["line_end"], 5);
  EXPECT_EQ(j["file_hash"], "abc123");
  EXPECT_EQ(j["model"], "tiny");
  EXPECT_EQ(j["prompt_version"], "builtin-1");
  EXPECT_EQ(j["settings_fingerprint"], "fp");
  EXPECT_EQ(j["quality_flags"], "truncated");  // a string in every row, "" for none
  EXPECT_EQ(j["grounding"], -1.0);             // a number in every row, -1: not measured
  EXPECT_EQ(j["created_at"], 1700000000000);
}

TEST(Formats, HardTextRoundTripsInEveryFormat) {
  auto s = sample();
  s.question = "Что делает \"add\" с \\ и \t? 函数 🙂";
  s.answer = "It returns \"a\\b\"\r\nand\u0001 more: ñ";
  const std::string code = std::string(200'000, 'x') + "\n\"quoted\" \\back\\ \u00e9\n";
  s.code = code;
  for (Format f : {Format::alpaca, Format::sharegpt, Format::openai, Format::chatml, Format::raw}) {
    std::string line = format_line(f, s, opts(true, "Système"));
    auto j = json::parse(line);
    std::string all = j.dump();
    EXPECT_THAT(line, HasSubstr("函数 🙂")) << "non-ASCII is written as UTF-8, not escaped";
    if (f == Format::alpaca) {
      EXPECT_EQ(j["instruction"], s.question);
      EXPECT_EQ(j["output"], s.answer);
      EXPECT_THAT(j["input"].get<std::string>(), HasSubstr(code));
    }
    if (f == Format::raw) {
      EXPECT_EQ(j["code"], s.code);
      EXPECT_EQ(j["answer"], s.answer);
    }
  }
}

// Each format built as a JSON document from code_block() and user_message(): what the streamed
// writer must equal.
json reference(Format f, const ExportSample& s, const FormatOptions& o) {
  const bool system = !o.system_prompt.empty();
  switch (f) {
    case Format::alpaca: {
      json j = {{"instruction", s.question},
                {"input", o.include_code ? code_block(s) : ""},
                {"output", s.answer}};
      if (system)
        j["system"] = o.system_prompt;
      return j;
    }
    case Format::sharegpt: {
      json turns = json::array();
      if (system)
        turns.push_back({{"from", "system"}, {"value", o.system_prompt}});
      turns.push_back({{"from", "human"}, {"value", user_message(s, o)}});
      turns.push_back({{"from", "gpt"}, {"value", s.answer}});
      return {{"conversations", turns}};
    }
    case Format::openai: {
      json messages = json::array();
      if (system)
        messages.push_back({{"role", "system"}, {"content", o.system_prompt}});
      messages.push_back({{"role", "user"}, {"content", user_message(s, o)}});
      messages.push_back({{"role", "assistant"}, {"content", s.answer}});
      return {{"messages", messages}};
    }
    case Format::chatml: {
      std::string text;
      if (system)
        text += "<|im_start|>system\n" + o.system_prompt + "<|im_end|>\n";
      text += "<|im_start|>user\n" + user_message(s, o) + "<|im_end|>\n";
      text += "<|im_start|>assistant\n" + std::string(s.answer) + "<|im_end|>\n";
      return {{"text", text}};
    }
    case Format::raw:
      break;
  }
  return {{"id", s.id},
          {"question", s.question},
          {"answer", s.answer},
          {"code", s.code},
          {"repo_url", s.repo_url},
          {"commit", s.commit_sha},
          {"path", s.file_path},
          {"language", s.language},
          {"scope", s.scope},
          {"line_start", s.line_start},
          {"line_end", s.line_end},
          {"file_hash", s.file_hash},
          {"model", s.model},
          {"prompt_version", s.prompt_version},
          {"settings_fingerprint", s.settings_fingerprint},
          {"quality_flags", s.quality_flags},
          {"grounding", s.grounding ? *s.grounding : -1.0},
          {"created_at", s.created_at}};
}

TEST(Formats, EveryLineEqualsTheDocumentBuiltFromItsParts) {
  auto s = sample();
  s.scope = "namespace n > class \"C\"";
  s.code = "a ``` b\n\tc \xff";  // a fence inside, a tab, invalid UTF-8, no final newline
  s.question = "Wie? \"🙂\"";
  s.grounding = 0.75;
  std::string reused = "stale";
  for (Format f : {Format::alpaca, Format::sharegpt, Format::openai, Format::chatml, Format::raw})
    for (bool code : {true, false})
      for (std::string system : {"", "Sys \\ tem"}) {
        auto o = opts(code, system);
        std::string line = format_line(f, s, o);
        // The reference replaces invalid UTF-8 when it writes, so compare as written by it.
        EXPECT_EQ(json::parse(line), json::parse(reference(f, s, o).dump(
                                         -1, ' ', false, json::error_handler_t::replace)))
            << to_string(f) << " code=" << code << " system=" << system;
        reused.clear();
        append_line(reused, f, s, o);
        EXPECT_EQ(reused, line) << "appending to a reused buffer writes the same line";
      }
}

TEST(Formats, InvalidUtf8IsReplacedNotThrown) {
  auto s = sample();
  s.answer = "bad \xff\xfe bytes";
  auto j = parse(Format::openai, s);
  EXPECT_EQ(j["messages"][1]["content"], "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes");
}

}  // namespace
}  // namespace g2d::dataset
