// quality/quality.cpp — normalisation, stable hashes, exact-duplicate keys and MinHash.
#include "quality/quality.hpp"

#include <algorithm>

namespace g2d::quality {

namespace {

constexpr std::uint64_t k_top_bit_clear = 0x7fffffffffffffffULL;
constexpr int k_shingle_words = 3;
constexpr std::size_t k_encoded_size = static_cast<std::size_t>(k_min_hash_size) * 4;

constexpr bool is_ascii_alnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// One fixed seed per slot: the hash family is h -> splitmix64(h ^ seed_i).
constexpr std::array<std::uint64_t, k_min_hash_size> make_seeds() {
  std::array<std::uint64_t, k_min_hash_size> seeds{};
  for (int i = 0; i < k_min_hash_size; ++i)
    seeds[i] = splitmix64(0x67326471756c6974ULL + static_cast<std::uint64_t>(i));
  return seeds;
}

constexpr std::array<std::uint64_t, k_min_hash_size> k_seeds = make_seeds();

// Where each word of a normalised text (words separated by single spaces) starts.
std::vector<std::size_t> word_starts(std::string_view normalised) {
  std::vector<std::size_t> starts;
  if (normalised.empty())
    return starts;
  starts.push_back(0);
  for (std::size_t i = 0; i < normalised.size(); ++i)
    if (normalised[i] == ' ')
      starts.push_back(i + 1);
  return starts;
}

void add_shingle(Signature& signature, std::string_view shingle, std::uint64_t basis) {
  const std::uint64_t h = fnv1a64(shingle, basis);
  for (int i = 0; i < k_min_hash_size; ++i) {
    const auto value = static_cast<std::uint32_t>(splitmix64(h ^ k_seeds[i]) >> 32);
    signature[i] = std::min(signature[i], value);
  }
}

}  // namespace

std::string normalise(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool gap = false;
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x80 && !is_ascii_alnum(c)) {
      gap = true;
      continue;
    }
    if (gap && !out.empty())
      out += ' ';
    gap = false;
    out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : ch;
  }
  return out;
}

std::uint64_t code_key(std::string_view code) {
  const std::uint64_t key = fnv1a64(normalise(code));
  return key != 0 ? key : 1;
}

std::uint64_t duplicate_key(std::string_view question, std::string_view answer,
                            std::uint64_t scope) {
  std::uint64_t h = fnv1a64(normalise(question));
  h = fnv1a64(std::string_view("\0", 1), h);
  h = fnv1a64(normalise(answer), h);
  if (scope != 0) {
    std::array<char, 8> bytes{};
    for (std::size_t i = 0; i < bytes.size(); ++i)
      bytes[i] = static_cast<char>((scope >> (8 * i)) & 0xff);
    h = fnv1a64(std::string_view(bytes.data(), bytes.size()), h);
  }
  return h & k_top_bit_clear;
}

Signature minhash(std::string_view text, std::uint64_t scope) {
  const std::uint64_t basis = scope != 0 ? splitmix64(scope) : k_fnv1a64_offset_basis;
  Signature signature;
  signature.fill(0xffffffffU);
  const std::string normalised = normalise(text);
  const std::vector<std::size_t> starts = word_starts(normalised);
  if (starts.size() < k_shingle_words) {
    if (!starts.empty())
      add_shingle(signature, normalised, basis);
    return signature;
  }
  // Words are separated by single spaces, so a shingle is a substring of `normalised`.
  for (std::size_t w = 0; w + k_shingle_words <= starts.size(); ++w) {
    const std::size_t end =
        w + k_shingle_words < starts.size() ? starts[w + k_shingle_words] - 1 : normalised.size();
    add_shingle(signature, std::string_view(normalised).substr(starts[w], end - starts[w]), basis);
  }
  return signature;
}

double estimated_jaccard(const Signature& a, const Signature& b) {
  int equal = 0;
  for (int i = 0; i < k_min_hash_size; ++i)
    equal += a[i] == b[i] ? 1 : 0;
  return static_cast<double>(equal) / k_min_hash_size;
}

std::array<std::int64_t, k_bands> band_keys(const Signature& signature) {
  const std::string bytes = encode_signature(signature);
  std::array<std::int64_t, k_bands> keys{};
  constexpr std::size_t band_bytes = static_cast<std::size_t>(k_rows_per_band) * 4;
  for (int band = 0; band < k_bands; ++band) {
    const char index = static_cast<char>(band);
    std::uint64_t h = fnv1a64(std::string_view(&index, 1));
    h = fnv1a64(std::string_view(bytes).substr(band * band_bytes, band_bytes), h);
    keys[band] = static_cast<std::int64_t>(h & k_top_bit_clear);
  }
  return keys;
}

std::string encode_signature(const Signature& signature) {
  std::string bytes;
  bytes.reserve(k_encoded_size);
  for (std::uint32_t slot : signature)
    for (int shift = 0; shift < 32; shift += 8)
      bytes += static_cast<char>((slot >> shift) & 0xffU);
  return bytes;
}

std::optional<Signature> decode_signature(std::string_view bytes) {
  if (bytes.size() != k_encoded_size)
    return std::nullopt;
  Signature signature{};
  for (std::size_t i = 0; i < k_encoded_size; ++i) {
    const auto byte = static_cast<std::uint32_t>(static_cast<unsigned char>(bytes[i]));
    signature[i / 4] |= byte << (8 * (i % 4));
  }
  return signature;
}

}  // namespace g2d::quality
