// ndjson_fuzzer — newline-delimited JSON (net::LineSplitter, the ollama backend's stream) on any
// body cut into any pieces (empty ones included): the lines delivered must be those of the whole
// body read at once by the plain reference (fuzz/stream_reference.hpp), and each byte is searched
// for a line end at most once (scanned() never exceeds the body: the work stays linear).
#include <cstddef>
#include <cstdint>
#include <fuzzer/FuzzedDataProvider.h>
#include <string>

#include "fuzz_check.hpp"
#include "net/stream.hpp"
#include "stream_reference.hpp"

using g2d::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  const std::string body = in.ConsumeRandomLengthString(size);
  g2d::net::LineSplitter parser;
  check(g2d::fuzz::fed_in_pieces(parser, body, in) == g2d::fuzz::ndjson_lines(body),
        "the lines are those of the whole body");
  check(parser.scanned() <= body.size(), "each byte is searched once");
  return 0;
}
