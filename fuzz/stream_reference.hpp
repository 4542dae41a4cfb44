// fuzz/stream_reference.hpp — the two stream formats read the plain way, a whole body at once:
// the reference the sse and ndjson fuzz targets compare the incremental parsers (net/stream.hpp)
// against, fed in arbitrary pieces (fed_in_pieces).
//
// Ownership: plain values. Thread-safety: pure functions. Errors: none.
#pragma once

#include <algorithm>
#include <fuzzer/FuzzedDataProvider.h>
#include <string>
#include <string_view>
#include <vector>

namespace g2d::fuzz {

// The lines of `body` ended by CRLF, CR or LF (`any_end`), or by LF with one trailing CR dropped;
// the text after the last line end is a last line when not empty.
inline std::vector<std::string> split_lines(std::string_view body, bool any_end) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    if (c == '\n' || (any_end && c == '\r')) {
      std::string_view text = body.substr(start, i - start);
      if (!any_end && !text.empty() && text.back() == '\r')
        text.remove_suffix(1);
      lines.emplace_back(text);
      if (any_end && c == '\r' && i + 1 < body.size() && body[i + 1] == '\n')
        ++i;
      start = i + 1;
    }
  }
  std::string_view rest = body.substr(start);
  if (!any_end && !rest.empty() && rest.back() == '\r')
    rest.remove_suffix(1);
  if (!rest.empty())
    lines.emplace_back(rest);
  return lines;
}

// Server-Sent Events: each event's data lines joined with '\n', at its blank line or the end.
inline std::vector<std::string> sse_events(std::string_view body) {
  std::vector<std::string> events;
  std::string data;
  bool has_data = false;
  auto dispatch = [&] {
    if (has_data)
      events.push_back(data);
    data.clear();
    has_data = false;
  };
  for (const auto& line : split_lines(body, true)) {
    if (line.empty()) {
      dispatch();
      continue;
    }
    if (line.front() == ':')
      continue;
    const auto colon = line.find(':');
    if (line.substr(0, colon) != "data")
      continue;
    std::string_view value =
        colon == std::string::npos ? std::string_view() : std::string_view(line).substr(colon + 1);
    if (!value.empty() && value.front() == ' ')
      value.remove_prefix(1);
    if (has_data)
      data += '\n';
    data += value;
    has_data = true;
  }
  dispatch();
  return events;
}

// NDJSON: every non-empty line.
inline std::vector<std::string> ndjson_lines(std::string_view body) {
  std::vector<std::string> lines;
  for (auto& line : split_lines(body, false))
    if (!line.empty())
      lines.push_back(std::move(line));
  return lines;
}

// What `parser` (net::SseParser or net::LineSplitter) delivers for `body` fed in pieces whose
// sizes (0 to 64, empty pieces included) come from `in`, then finished.
template <class Parser>
std::vector<std::string> fed_in_pieces(Parser& parser, std::string_view body,
                                       FuzzedDataProvider& in) {
  std::vector<std::string> delivered;
  const auto sink = [&](std::string_view item) { delivered.emplace_back(item); };
  std::size_t at = 0;
  while (at < body.size()) {
    std::size_t piece = body.size() - at;
    if (in.remaining_bytes() > 0)
      piece = std::min(piece, in.ConsumeIntegralInRange<std::size_t>(0, 64));
    parser.feed(body.substr(at, piece), sink);
    at += piece;
  }
  parser.finish(sink);
  return delivered;
}

}  // namespace g2d::fuzz
