// json_line_fuzzer — the export's JSON writer (dataset/json_line.cpp) against nlohmann-json, the
// reference. The input drives a random value (objects, arrays, strings of any bytes, integers,
// doubles of any bit pattern) written both ways: our line must parse with nlohmann::json::parse
// to the reference's value (invalid UTF-8 replaced as nlohmann replaces it), hold no raw line
// end, escape every string byte-exactly as nlohmann dumps it, and write every finite double as
// a float that reads back to the same bits' value.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <fuzzer/FuzzedDataProvider.h>
#include <string>

#include <nlohmann/json.hpp>

#include "dataset/json_line.hpp"
#include "fuzz_check.hpp"

using g2d::dataset::JsonLine;
using g2d::fuzz::check;
using nlohmann::json;

namespace {

constexpr int k_max_depth = 16;  // JsonLine's nesting limit

// The reference's text of `s` as a JSON string, quotes included.
std::string reference(const std::string& s) {
  return json(s).dump(-1, ' ', false, json::error_handler_t::replace);
}

// `s` as it reads back: invalid UTF-8 replaced the reference's way.
std::string replaced(const std::string& s) {
  return json::parse(reference(s)).get<std::string>();
}

class Writer {
 public:
  Writer(FuzzedDataProvider& in, JsonLine& line) : m_in(in), m_line(line) {}

  // Writes one value to the line and returns what it must read back as.
  json value(int depth) {
    const int last = depth < k_max_depth ? 5 : 3;
    switch (m_in.ConsumeIntegralInRange(0, last)) {
      case 0: {
        const std::string s = m_in.ConsumeRandomLengthString(64);
        std::string ours;
        g2d::dataset::append_json_escaped(ours, s);
        check('"' + ours + '"' == reference(s), "a string is escaped exactly as the reference");
        m_line.string(s);
        return replaced(s);
      }
      case 1: {
        const std::string a = m_in.ConsumeRandomLengthString(16);
        const std::string b = m_in.ConsumeRandomLengthString(16);
        const std::string c = m_in.ConsumeRandomLengthString(16);
        m_line.strings({a, b, c});
        return replaced(a + b + c);
      }
      case 2: {
        const auto n = m_in.ConsumeIntegral<std::int64_t>();
        m_line.integer(n);
        return n;
      }
      case 3: {
        const auto bits = m_in.ConsumeIntegral<std::uint64_t>();
        double d = 0;
        std::memcpy(&d, &bits, sizeof d);
        std::string alone;
        JsonLine(alone).real(d);
        const json back = json::parse(alone);
        if (std::isfinite(d)) {
          check(back.is_number_float(), "a double is written as a float");
          check(back.get<double>() == d, "a double reads back exactly");
        } else {
          check(back.is_null(), "a NaN or infinity is written as null");
        }
        m_line.real(d);
        return std::isfinite(d) ? json(d) : json(nullptr);
      }
      case 4: {
        json object = json::object();
        m_line.begin_object();
        const int n = m_in.ConsumeIntegralInRange(0, 4);
        for (int i = 0; i < n; ++i) {
          const std::string name = m_in.ConsumeRandomLengthString(16);
          m_line.key(name);
          json member = value(depth + 1);
          object[replaced(name)] = std::move(member);  // a repeated key: the last one wins
        }
        m_line.end_object();
        return object;
      }
      default: {
        json array = json::array();
        m_line.begin_array();
        const int n = m_in.ConsumeIntegralInRange(0, 4);
        for (int i = 0; i < n; ++i)
          array.push_back(value(depth + 1));
        m_line.end_array();
        return array;
      }
    }
  }

 private:
  FuzzedDataProvider& m_in;
  JsonLine& m_line;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  std::string out;
  JsonLine line(out);
  Writer writer(in, line);
  const json expected = writer.value(0);
  check(out.find_first_of("\r\n") == std::string::npos, "a line holds no raw line end");
  const json parsed = json::parse(out, nullptr, false);
  check(!parsed.is_discarded(), "the line parses as JSON");
  check(parsed == expected, "the line reads back to the reference's value");
  return 0;
}
