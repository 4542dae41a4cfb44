#include "net/stream.hpp"

namespace g2d::net {

void SseParser::feed(std::string_view bytes, const EventSink& on_event) {
  if (bytes.empty())
    return;
  if (m_after_cr && bytes.front() == '\n')
    bytes.remove_prefix(1);  // the LF of a CRLF split between two pieces
  m_after_cr = false;
  m_pending.append(bytes);
  size_t start = 0;         // of the line not yet delivered
  size_t from = m_scanned;  // the bytes before it were searched before: they hold no line end
  while (true) {
    size_t end = m_pending.find_first_of("\r\n", from);
    m_scanned_total += (end == std::string::npos ? m_pending.size() : end + 1) - from;
    if (end == std::string::npos)
      break;
    std::string_view text(m_pending.data() + start, end - start);
    size_t next = end + 1;
    if (m_pending[end] == '\r') {
      if (next < m_pending.size()) {
        if (m_pending[next] == '\n')
          ++next;
      } else {
        m_after_cr = true;
      }
    }
    line(text, on_event);
    start = next;
    from = next;
  }
  // What stays is the unfinished line after the last line end: a part of `bytes`, or (no line
  // end found) nothing is moved. Either way the work stays linear.
  m_pending.erase(0, start);
  m_scanned = m_pending.size();
}

void SseParser::finish(const EventSink& on_event) {
  if (!m_pending.empty()) {
    std::string rest = std::move(m_pending);
    m_pending.clear();
    m_scanned = 0;
    line(rest, on_event);
  }
  line("", on_event);
}

void SseParser::line(std::string_view text, const EventSink& on_event) {
  if (text.empty()) {
    if (m_has_data)
      on_event(m_data);
    m_data.clear();
    m_has_data = false;
    return;
  }
  if (text.front() == ':')
    return;  // a comment (keep-alive)
  auto colon = text.find(':');
  std::string_view field = text.substr(0, colon);
  std::string_view value = colon == std::string_view::npos ? "" : text.substr(colon + 1);
  if (!value.empty() && value.front() == ' ')
    value.remove_prefix(1);
  if (field != "data")
    return;
  if (m_has_data)
    m_data += '\n';
  m_data.append(value);
  m_has_data = true;
}

void LineSplitter::feed(std::string_view bytes, const LineSink& on_line) {
  m_pending.append(bytes);
  size_t start = 0;         // of the line not yet delivered
  size_t from = m_scanned;  // the bytes before it were searched before: they hold no line end
  while (true) {
    size_t end = m_pending.find('\n', from);
    m_scanned_total += (end == std::string::npos ? m_pending.size() : end + 1) - from;
    if (end == std::string::npos)
      break;
    std::string_view text(m_pending.data() + start, end - start);
    if (!text.empty() && text.back() == '\r')
      text.remove_suffix(1);
    if (!text.empty())
      on_line(text);
    start = end + 1;
    from = start;
  }
  m_pending.erase(0, start);
  m_scanned = m_pending.size();
}

void LineSplitter::finish(const LineSink& on_line) {
  std::string rest = std::move(m_pending);
  m_pending.clear();
  m_scanned = 0;
  if (!rest.empty() && rest.back() == '\r')
    rest.pop_back();
  if (!rest.empty())
    on_line(rest);
}

}  // namespace g2d::net
