// dataset/json_line.hpp — JSON written straight into a string the caller keeps and reuses (one
// export line), with no document in between: the export's hot path.
//
// Strings come out exactly as nlohmann-json's dump(-1, ' ', false, error_handler_t::replace)
// writes them (the tests compare the two): UTF-8 kept as is; '"', '\\' and control characters
// escaped (\b \f \n \r \t, else \u00XX); each invalid UTF-8 sequence replaced by one U+FFFD, a
// byte that cannot continue a sequence being read again as the start of the next. Integers are
// written in full; doubles in the shortest form that reads back exactly, always with a '.' or an
// exponent so a float column stays a float.
//
// Ownership: borrows `out` for its lifetime and only appends to it. Thread-safety: one writer per
// thread. Errors: none; the caller keeps begin/end balanced (at most 16 levels deep) and writes
// a key before each value of an object.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace g2d::dataset {

// `text` as the inside of a JSON string (no quotes), appended to `out`.
void append_json_escaped(std::string& out, std::string_view text);

class JsonLine {
 public:
  explicit JsonLine(std::string& out) : m_out(out) {}

  JsonLine& begin_object();
  JsonLine& end_object();
  JsonLine& begin_array();
  JsonLine& end_array();
  JsonLine& key(std::string_view name);
  JsonLine& string(std::string_view text);
  // One string whose text is the parts one after the other.
  JsonLine& strings(std::initializer_list<std::string_view> parts);
  JsonLine& integer(std::int64_t value);
  JsonLine& real(double value);

 private:
  void before_value();
  void open(char bracket);

  std::string& m_out;
  std::array<bool, 16> m_empty{};  // per open level: nothing written in it yet
  std::size_t m_depth = 0;
  bool m_after_key = false;
};

}  // namespace g2d::dataset
