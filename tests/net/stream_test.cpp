// SSE and NDJSON splitting, whatever the pieces the bytes arrive in, in work linear in the
// stream's length (a huge event in tiny pieces included, also through a real loopback server).
#include "net/stream.hpp"

#include <random>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http_test_server.hpp"
#include "net/http.hpp"

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

std::vector<std::string> lines_of(const std::string& stream, const std::vector<size_t>& cuts) {
  LineSplitter s;
  std::vector<std::string> lines;
  auto sink = [&](std::string_view l) { lines.emplace_back(l); };
  size_t at = 0;
  for (size_t cut : cuts) {
    s.feed(std::string_view(stream).substr(at, cut - at), sink);
    at = cut;
  }
  s.feed(std::string_view(stream).substr(at), sink);
  s.finish(sink);
  return lines;
}

std::vector<std::string> events_of(const std::string& stream, const std::vector<size_t>& cuts) {
  SseParser p;
  std::vector<std::string> events;
  auto sink = [&](std::string_view e) { events.emplace_back(e); };
  size_t at = 0;
  for (size_t cut : cuts) {
    p.feed(std::string_view(stream).substr(at, cut - at), sink);
    at = cut;
  }
  p.feed(std::string_view(stream).substr(at), sink);
  p.finish(sink);
  return events;
}

// Random cut points (sorted, possibly repeated: an empty piece) of a stream of `size` bytes.
std::vector<size_t> random_cuts(std::mt19937& rng, size_t size) {
  std::uniform_int_distribution<size_t> count(0, 40);
  std::uniform_int_distribution<size_t> at(0, size);
  std::vector<size_t> cuts(count(rng));
  for (auto& c : cuts)
    c = at(rng);
  std::sort(cuts.begin(), cuts.end());
  return cuts;
}

TEST(Sse, RandomPieceSplitsOfAValidStreamGiveTheSameEvents) {
  const std::string stream =
      ": keep-alive\r\n\r\nevent: message\r\ndata: {\"a\":1}\r\n\r\ndata:{\"b\":2}\n\n"
      "data: line one\ndata: line two\nid: 7\n\nretry: 10\rdata: cr\r\rdata: \xe2\x82\xac\r\n"
      "data:\r\n\r\ndata: [DONE]\r\n\r\n";
  const auto whole = events_of(stream, {});
  ASSERT_THAT(whole, ElementsAre("{\"a\":1}", "{\"b\":2}", "line one\nline two", "cr",
                                 "\xe2\x82\xac\n", "[DONE]"));
  std::mt19937 rng(20240611);
  for (int round = 0; round < 2000; ++round) {
    auto cuts = random_cuts(rng, stream.size());
    ASSERT_EQ(events_of(stream, cuts), whole) << "round " << round;
  }
}

TEST(Ndjson, RandomPieceSplitsOfAValidStreamGiveTheSameLines) {
  const std::string stream = "{\"a\":1}\n\r\n{\"b\":2}\r\n\n\n{\"c\":\"\xe2\x82\xac\"}\n{\"d\":4}";
  const auto whole = lines_of(stream, {});
  ASSERT_THAT(whole,
              ElementsAre("{\"a\":1}", "{\"b\":2}", "{\"c\":\"\xe2\x82\xac\"}", "{\"d\":4}"));
  std::mt19937 rng(7);
  for (int round = 0; round < 2000; ++round) {
    auto cuts = random_cuts(rng, stream.size());
    ASSERT_EQ(lines_of(stream, cuts), whole) << "round " << round;
  }
}

// One event of `size` bytes of data, fed in pieces of `piece` bytes: the bytes the parser
// searched for line ends.
size_t sse_work(size_t size, size_t piece) {
  std::string stream = "data: " + std::string(size, 'x') + "\n\n";
  SseParser p;
  size_t events = 0;
  size_t longest = 0;
  auto sink = [&](std::string_view e) {
    ++events;
    longest = std::max(longest, e.size());
  };
  for (size_t i = 0; i < stream.size(); i += piece)
    p.feed(std::string_view(stream).substr(i, piece), sink);
  p.finish(sink);
  EXPECT_EQ(events, 1u);
  EXPECT_EQ(longest, size);
  return p.scanned();
}

size_t ndjson_work(size_t size, size_t piece) {
  std::string stream = "{\"a\":\"" + std::string(size, 'x') + "\"}\n{}\n";
  LineSplitter s;
  std::vector<size_t> lengths;
  auto sink = [&](std::string_view l) { lengths.push_back(l.size()); };
  for (size_t i = 0; i < stream.size(); i += piece)
    s.feed(std::string_view(stream).substr(i, piece), sink);
  s.finish(sink);
  EXPECT_THAT(lengths, ElementsAre(size + 8, 2u));
  return s.scanned();
}

// Work counted, not time: each byte is searched once, so 2 MiB costs twice what 1 MiB does
// (a parser that searched its whole buffer again for every piece did 512 times as much).
TEST(Sse, AHugeEventInTinyPiecesIsParsedInLinearWork) {
  const size_t mib = size_t{1} << 20;
  size_t one = sse_work(mib, 1024);
  size_t two = sse_work(2 * mib, 1024);
  EXPECT_LE(one, mib + 16);
  EXPECT_LE(two, 2 * mib + 16);
  EXPECT_LE(two, 2 * one + 16);
}

TEST(Ndjson, AHugeLineInTinyPiecesIsSplitInLinearWork) {
  const size_t mib = size_t{1} << 20;
  size_t one = ndjson_work(mib, 1024);
  size_t two = ndjson_work(2 * mib, 1024);
  EXPECT_LE(one, mib + 16);
  EXPECT_LE(two, 2 * mib + 16);
  EXPECT_LE(two, 2 * one + 16);
}

// 50 MB in one event, relayed by a real server in 4 KiB pieces and received in whatever pieces
// the network makes: every byte is searched once.
TEST(Sse, AFiftyMegabyteEventFromARealServerIsParsedInLinearWork) {
  const size_t size = 50'000'000;
  test::TestHttpServer server([&](const test::ReceivedRequest&) {
    test::Reply r;
    r.produce = [&](const std::function<bool(std::string_view)>& write) {
      if (!write("data: "))
        return;
      const std::string piece(4096, 'x');
      for (size_t sent = 0; sent < size; sent += piece.size())
        if (!write(std::string_view(piece).substr(0, std::min(piece.size(), size - sent))))
          return;
      write("\n\ndata: [DONE]\n\n");
    };
    return r;
  });
  Client client;
  Request req;
  req.url = server.url() + "/stream";
  req.max_body_bytes = 0;  // no limit: this test measures the parser
  SseParser p;
  std::vector<size_t> sizes;
  size_t pieces = 0;
  size_t received = 0;
  auto sink = [&](std::string_view e) { sizes.push_back(e.size()); };
  auto res = client.send(req, {}, [&](std::string_view bytes) {
    ++pieces;
    received += bytes.size();
    p.feed(bytes, sink);
    return true;
  });
  ASSERT_TRUE(res) << res.error().describe();
  p.finish(sink);
  EXPECT_THAT(sizes, ElementsAre(size, 6u));
  EXPECT_GT(pieces, 100u);
  EXPECT_LE(p.scanned(), received);
}

}  // namespace
}  // namespace g2d::net
