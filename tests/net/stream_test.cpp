// SSE and NDJSON splitting, whatever the pieces the bytes arrive in.
#include "net/stream.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace g2d::net {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> sse(const std::string& stream, size_t piece) {
  SseParser p;
  std::vector<std::string> events;
  auto sink = [&](std::string_view e) { events.emplace_back(e); };
  for (size_t i = 0; i < stream.size(); i += piece)
    p.feed(std::string_view(stream).substr(i, piece), sink);
  p.finish(sink);
  return events;
}

TEST(Sse, EventsAreTheirDataLinesWhateverThePieces) {
  const std::string stream =
      ": keep-alive\r\n\r\nevent: message\r\ndata: {\"a\":1}\r\n\r\ndata:{\"b\":2}\n\n"
      "data: line one\ndata: line two\nid: 7\n\ndata: [DONE]\r\r";
  for (size_t piece : {1u, 2u, 3u, 7u, 1000u}) {
    SCOPED_TRACE(piece);
    EXPECT_THAT(sse(stream, piece),
                ElementsAre("{\"a\":1}", "{\"b\":2}", "line one\nline two", "[DONE]"));
  }
}

TEST(Sse, AnEventWithoutItsBlankLineIsDeliveredAtTheEnd) {
  EXPECT_THAT(sse("data: last", 4), ElementsAre("last"));
  EXPECT_TRUE(sse("", 1).empty());
}

TEST(Ndjson, NonEmptyLinesWhateverThePieces) {
  const std::string stream = "{\"a\":1}\n\r\n{\"b\":2}\r\n{\"c\":3}";
  for (size_t piece : {1u, 2u, 5u, 100u}) {
    LineSplitter s;
    std::vector<std::string> lines;
    auto sink = [&](std::string_view l) { lines.emplace_back(l); };
    for (size_t i = 0; i < stream.size(); i += piece)
      s.feed(std::string_view(stream).substr(i, piece), sink);
    s.finish(sink);
    EXPECT_THAT(lines, ElementsAre("{\"a\":1}", "{\"b\":2}", "{\"c\":3}")) << piece;
  }
}

}  // namespace
}  // namespace g2d::net
