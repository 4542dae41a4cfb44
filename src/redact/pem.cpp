// Private key blocks. The body between `-----BEGIN ... PRIVATE KEY-----` and its END line is read
// as "segments": pieces of text ended by a newline, by an escaped newline (`\n`, `\r`, `\\n`, as
// in JSON or C strings) or by the END marker. A segment is
//   - trivial: only spaces, quotes and the punctuation of concatenated literals (`"` `+` `,` ...);
//   - data: base64 runs between trivial characters, every run but the last 40+ characters long
//     (a line of the key, possibly quoted, or space-separated lines as in an environment variable);
//   - a header: holds ':' and comes before any data (`Proc-Type: 4,ENCRYPTED`, `Version: ...`);
//   - anything else ends the block (code after a key whose END line is missing, or a parser's
//     BEGIN/END constants with code between them).
// A segment may start with a comment leader (`#`, ` * `, `-- `, `% `; `//` and `;` need nothing),
// so a key pasted into a comment block is read like one in a file.
// The base64 runs of four or more characters in data segments are removed; the first one (merged
// with its neighbours when only escapes and spaces separate them) becomes the placeholder. A block
// is only redacted when it holds a run that can only be key material (16+ characters with a digit,
// '+' or '/', or 40+), so the markers alone are never touched. A placeholder an earlier pass left
// is read as the data it replaced (never as a header), so redacting redacted text changes nothing.
#include <algorithm>
#include <cstring>

#include "redact/detect.hpp"

namespace g2d::redact::detail {
namespace {

constexpr std::string_view k_begin = "-----BEGIN ";
constexpr std::string_view k_end = "-----END ";
constexpr std::string_view k_dashes = "-----";
constexpr std::string_view k_placeholder = "<redacted:private-key>";
constexpr std::string_view k_placeholder_open = "<redacted:";
constexpr size_t k_max_label = 48;
constexpr size_t k_max_headers = 8;

bool is_trivial(char c) {
  return is_space(c) || (c != '\0' && std::strchr("\"'`,;()", c) != nullptr);
}

// The label of a BEGIN marker at `at` (just past "-----BEGIN "): its end past the closing dashes
// when it names a private key, else 0.
size_t private_key_label_end(std::string_view text, size_t at) {
  size_t end = run_end(text, at, k_max_label,
                       [](char c) { return char_class(c) == k_upper || is_digit(c) || c == ' '; });
  if (end > at + k_max_label || text.substr(end, k_dashes.size()) != k_dashes)
    return 0;
  std::string_view label = text.substr(at, end - at);
  if (!label.ends_with("PRIVATE KEY") && !label.ends_with("PRIVATE KEY BLOCK"))
    return 0;
  return end + k_dashes.size();
}

// Whether text[gap_begin, gap_end) holds only escapes, backslashes and blanks.
bool only_escapes_between(std::string_view text, size_t gap_begin, size_t gap_end) {
  for (size_t i = gap_begin; i < gap_end; ++i) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\\')
      continue;
    if ((c == 'n' || c == 'r') && i > gap_begin && text[i - 1] == '\\')
      continue;
    return false;
  }
  return true;
}

// Past a comment leader at `at` and the blanks after it (`at` itself when there is none). A '*'
// or "--" leader needs a blank after it ("--" must not be the dashes of an END marker); '/' and
// ';' are not leaders: a key line may start with '/', and ';' is trivial already.
size_t skip_comment_leader(std::string_view text, size_t at) {
  size_t i = at;
  auto blank_at = [&](size_t j) { return j < text.size() && is_space(text[j]); };
  if (i < text.size() && (text[i] == '#' || text[i] == '%')) {
    char leader = text[i];
    while (i < text.size() && text[i] == leader)
      ++i;
  } else if (i < text.size() && text[i] == '*' && blank_at(i + 1)) {
    ++i;
  } else if (text.substr(i, 2) == "--" && blank_at(i + 2)) {
    i += 2;
  } else {
    return at;
  }
  while (blank_at(i))
    ++i;
  return i;
}

enum class SegmentKind : uint8_t { trivial, data, header, other };

struct Segment {
  size_t begin = 0;
  size_t end = 0;   // exclusive; the break (newline or escape) follows
  size_t next = 0;  // where the following segment starts
  SegmentKind kind = SegmentKind::trivial;
};

// Reads the segment starting at `from`. Key data is base64 runs between trivial characters where
// every run but the last is a full line's worth (40+: space-separated lines, as in an environment
// variable), so `echo done` is not data. A segment that cannot be data is read no further than a
// header line can be long, so a hostile line is not read once per BEGIN marker on it.
Segment read_segment(std::string_view text, size_t from, bool headers_allowed) {
  constexpr size_t k_max_header = 256;
  Segment seg;
  seg.begin = from;
  bool colon = false;
  bool other = false;
  bool short_run = false;  // a run of fewer than 40 characters that was not the last
  size_t runs = 0;
  size_t run_start = std::string_view::npos;
  size_t i = from;
  auto close_run = [&](size_t at) {
    if (run_start == std::string_view::npos)
      return;
    short_run = short_run || at - run_start < 40;
    run_start = std::string_view::npos;
  };
  while (i < text.size()) {
    char c = text[i];
    if (c == '\n')
      break;
    if (c == '\\') {
      size_t j = i;
      while (j < text.size() && text[j] == '\\')
        ++j;
      if (j < text.size() && (text[j] == 'n' || text[j] == 'r')) {
        seg.end = i;
        seg.next = j + 1;
        break;
      }
      close_run(i);
      i = j;
      continue;
    }
    if (is_alnum(c) ||
        ((c == '+' || c == '/' || c == '=') && run_start != std::string_view::npos)) {
      if (run_start == std::string_view::npos) {
        if (runs > 0 && short_run)
          other = true;
        ++runs;
        run_start = i;
      }
    } else {
      close_run(i);
      // The ':' of a placeholder an earlier pass left (`<redacted:password>`) makes no header.
      const bool placeholder_colon = i + 1 >= k_placeholder_open.size() &&
                                     text.substr(i + 1 - k_placeholder_open.size(),
                                                 k_placeholder_open.size()) == k_placeholder_open;
      if (c == ':' && !placeholder_colon)
        colon = true;
      else if (!is_trivial(c) && c != '+' && c != '/' && c != '=')
        other = true;
    }
    if (other && (!headers_allowed || i - from >= k_max_header))
      break;
    ++i;
  }
  if (seg.next == 0) {
    seg.end = i;
    seg.next = i < text.size() && text[i] == '\n' ? i + 1 : i;
  }
  if (colon && headers_allowed && i - from < k_max_header)
    seg.kind = SegmentKind::header;
  else if (other || colon)
    seg.kind = SegmentKind::other;
  else
    seg.kind = runs > 0 ? SegmentKind::data : SegmentKind::trivial;
  return seg;
}

bool confirms_key(std::string_view run) {
  if (run.size() >= 40)
    return true;
  if (run.size() < 16)
    return false;
  for (char c : run)
    if (is_digit(c) || c == '+' || c == '/')
      return true;
  return false;
}

// Walks the body starting at `body`; appends its spans when it is a key. Returns where the search
// for the next BEGIN marker resumes.
size_t redact_block(std::string_view text, size_t body, std::vector<Span>& out) {
  std::vector<Span> runs;
  bool seen_data = false;
  bool confirmed = false;
  size_t headers = 0;
  size_t at = body;
  while (at < text.size()) {
    size_t first = at;
    while (first < text.size() && is_trivial(text[first]))
      ++first;
    first = skip_comment_leader(text, first);
    if (text.substr(first, k_end.size()) == k_end)
      break;
    if (text.substr(first, k_placeholder.size()) == k_placeholder) {
      seen_data = true;
      at = first + k_placeholder.size();
      continue;
    }
    Segment seg = read_segment(text, first, !seen_data && headers < k_max_headers);
    if (seg.kind == SegmentKind::other)
      break;
    if (seg.kind == SegmentKind::header)
      ++headers;
    if (seg.kind == SegmentKind::data) {
      seen_data = true;
      size_t i = seg.begin;
      while (i < seg.end) {
        if (!is_base64(text[i])) {
          ++i;
          continue;
        }
        size_t start = i;
        while (i < seg.end && is_base64(text[i]))
          ++i;
        if (i - start < 4)
          continue;
        confirmed = confirmed || confirms_key(text.substr(start, i - start));
        if (!runs.empty() && only_escapes_between(text, runs.back().end, start))
          runs.back().end = i;
        else
          runs.push_back(Span{start, i, "private-key", Source::private_key, runs.empty()});
      }
    }
    at = seg.next;
  }
  if (!confirmed)
    return body;
  out.insert(out.end(), runs.begin(), runs.end());
  return at;
}

}  // namespace

void find_private_keys(std::string_view text, std::vector<Span>& out) {
  size_t pos = 0;
  while ((pos = text.find(k_begin, pos)) != std::string_view::npos) {
    size_t label = pos + k_begin.size();
    size_t body = private_key_label_end(text, label);
    if (body == 0) {
      pos = label;
      continue;
    }
    pos = std::max(redact_block(text, body, out), body);
  }
}

}  // namespace g2d::redact::detail
