// net/stream.hpp — splitting streamed response bodies into messages: Server-Sent Events (OpenAI
// protocol: "data: {...}" events, "data: [DONE]" at the end) and newline-delimited JSON (Ollama).
// Bytes arrive in arbitrary pieces; the parsers keep the unfinished tail between pieces and
// remember how far they searched it, so each byte is examined once: the work is linear in the
// stream's length whatever its pieces (a huge event in tiny pieces included). How much a reply
// may hold is the caller's limit (net::Request::max_body_bytes).
//
// Ownership: plain values. Thread-safety: one parser per stream.
// Errors: none; malformed content is passed on for the caller's JSON parser to reject.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace g2d::net {

// SSE: every event's data lines, joined with '\n', are passed to `on_event` when the blank line
// that ends the event arrives. Comments (":...") and other fields (event:, id:, retry:) are
// ignored. CRLF, CR and LF line ends are accepted.
class SseParser {
 public:
  using EventSink = std::function<void(std::string_view data)>;
  void feed(std::string_view bytes, const EventSink& on_event);
  // The stream ended: an event left without its blank line is delivered.
  void finish(const EventSink& on_event);
  // Bytes searched for line ends so far (each byte once): a measure of the work done.
  std::size_t scanned() const { return m_scanned_total; }

 private:
  void line(std::string_view text, const EventSink& on_event);
  std::string m_pending;      // bytes after the last line end
  std::size_t m_scanned = 0;  // of m_pending, the bytes already searched (no line end there)
  std::size_t m_scanned_total = 0;
  std::string m_data;  // the current event's data
  bool m_has_data = false;
  bool m_after_cr = false;  // the last piece ended with CR: a leading LF belongs to that line end
};

// NDJSON: every non-empty line is passed to `on_line`.
class LineSplitter {
 public:
  using LineSink = std::function<void(std::string_view line)>;
  void feed(std::string_view bytes, const LineSink& on_line);
  void finish(const LineSink& on_line);
  // Bytes searched for line ends so far (each byte once): a measure of the work done.
  std::size_t scanned() const { return m_scanned_total; }

 private:
  std::string m_pending;      // bytes after the last line end
  std::size_t m_scanned = 0;  // of m_pending, the bytes already searched (no line end there)
  std::size_t m_scanned_total = 0;
};

}  // namespace g2d::net
