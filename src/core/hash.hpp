// core/hash.hpp — the stable non-cryptographic hashes: FNV-1a 64 and splitmix64. Spelled out
// with fixed constants, never std::hash, so the values are the same on every machine, standard
// library and run (they are stored: duplicate keys, MinHash signatures, directory names, splits).
// SHA-256 is sys/sha256.hpp (OpenSSL).
//
// Thread-safety: pure constexpr functions. Errors: none.
#pragma once

#include <cstdint>
#include <string_view>

namespace g2d {

inline constexpr std::uint64_t k_fnv1a64_offset_basis = 0xcbf29ce484222325ULL;
inline constexpr std::uint64_t k_fnv1a64_prime = 0x100000001b3ULL;

// FNV-1a 64 of `bytes`, continuing from `state` (the offset basis for a new hash).
constexpr std::uint64_t fnv1a64(std::string_view bytes,
                                std::uint64_t state = k_fnv1a64_offset_basis) {
  for (char c : bytes) {
    state ^= static_cast<unsigned char>(c);
    state *= k_fnv1a64_prime;
  }
  return state;
}

// splitmix64's finaliser: spreads every input bit over the whole word.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// splitmix64 of one input: the golden-ratio increment, then the finaliser.
constexpr std::uint64_t splitmix64(std::uint64_t x) {
  return mix64(x + 0x9e3779b97f4a7c15ULL);
}

}  // namespace g2d
