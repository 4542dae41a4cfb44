// What the server backends share while reading a streamed reply: the message limit, the loop
// watch, the first error kept, and how the reply ends.
#include "llm/streamed_reply.hpp"

#include <string>

#include <gtest/gtest.h>

namespace g2d::llm {
namespace {

StreamedReply reply_of(int max_tokens) {
  return StreamedReply("POST http://h/v1/chat/completions", max_tokens,
                       reply_limits(max_tokens, std::chrono::milliseconds(1000), 0),
                       {"an event", "events", "max_tokens"});
}

TEST(StreamedReply, AMessagePastTheLimitEndsTheReplyWithAnErrorNamingIt) {
  StreamedReply reply = reply_of(4);
  const std::size_t allowed = reply_limits(4, std::chrono::milliseconds(1000), 0).max_messages;
  for (std::size_t i = 0; i < allowed; ++i)
    ASSERT_TRUE(reply.take_message()) << i;
  EXPECT_FALSE(reply.take_message());
  EXPECT_FALSE(reply.keep_reading());
  auto stopped = reply.stopped();
  ASSERT_TRUE(stopped);
  ASSERT_FALSE(*stopped);
  EXPECT_EQ(stopped->error().kind, ErrorKind::bad_output);
  EXPECT_EQ(stopped->error().message,
            "POST http://h/v1/chat/completions: more than " + std::to_string(allowed) +
                " events for a reply of at most 4 tokens (the server does not stop at "
                "max_tokens); it was cut off there");
}

TEST(StreamedReply, TheFirstErrorIsKeptAndLaterMessagesAreIgnored) {
  StreamedReply reply = reply_of(100);
  ASSERT_TRUE(reply.take_message());
  reply.fail(Error{ErrorKind::bad_output, "first"});
  reply.fail(Error{ErrorKind::unavailable, "second"});
  EXPECT_FALSE(reply.take_message());
  auto done = reply.finish(true, "reply");
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().message, "first");
}

TEST(StreamedReply, TextThatLoopsStopsTheReadingAndEndsAsALoop) {
  StreamedReply reply = reply_of(1000);
  reply.add_text("The answer. ");
  for (int i = 0; i < 40 && reply.keep_reading(); ++i) {
    ASSERT_TRUE(reply.take_message());
    reply.add_text("again and again ");
  }
  EXPECT_FALSE(reply.keep_reading());
  auto stopped = reply.stopped();
  ASSERT_TRUE(stopped);
  ASSERT_TRUE(*stopped);
  EXPECT_EQ((*stopped)->finish, FinishReason::loop);
  EXPECT_LT((*stopped)->text.size(), std::string("The answer. ").size() + 40);
}

TEST(StreamedReply, AReplyThatNeverSaidItWasCompleteIsUnavailable) {
  StreamedReply reply = reply_of(100);
  ASSERT_TRUE(reply.take_message());
  reply.add_text("partial");
  EXPECT_FALSE(reply.stopped());
  auto done = reply.finish(false, "completion");
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().kind, ErrorKind::unavailable);
  EXPECT_EQ(done.error().message,
            "POST http://h/v1/chat/completions: the stream ended before the completion did");
}

TEST(StreamedReply, AMessageIsAJsonObjectOrTheReplyFails) {
  StreamedReply reply = reply_of(100);
  auto ok = reply.parse_message(R"({"choices": []})");
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok->contains("choices"));
  EXPECT_FALSE(reply.parse_message("[1, 2]"));
  auto done = reply.finish(true, "reply");
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error().message, "POST http://h/v1/chat/completions: an event is not JSON");

  StreamedReply overflowing = reply_of(100);
  EXPECT_FALSE(overflowing.parse_message(
      R"({"error": {"message": "the request exceeds the available context size"}})"));
  auto stopped = overflowing.stopped();
  ASSERT_TRUE(stopped);
  ASSERT_FALSE(*stopped);
  EXPECT_EQ(stopped->error().kind, ErrorKind::context_overflow);
}

TEST(StreamedReply, ACompleteReplyIsItsResult) {
  StreamedReply reply = reply_of(100);
  ASSERT_TRUE(reply.take_message());
  reply.add_text("Hello");
  reply.result().completion_tokens = 1;
  auto done = reply.finish(true, "reply");
  ASSERT_TRUE(done);
  EXPECT_EQ(done->text, "Hello");
  EXPECT_EQ(done->completion_tokens, 1);
}

}  // namespace
}  // namespace g2d::llm
