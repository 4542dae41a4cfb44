// fuzz/fuzz_check.hpp — what the fuzz targets share: a failed invariant aborts with a message
// (libFuzzer then saves the input).
//
// Ownership: none. Thread-safety: pure functions. Errors: check() never returns on failure.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace g2d::fuzz {

// Aborts with `what` when `ok` is false.
inline void check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz invariant failed: %s\n", what);
    std::abort();
  }
}

}  // namespace g2d::fuzz
