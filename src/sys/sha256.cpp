#include "sys/sha256.hpp"

#include <array>
#include <openssl/evp.h>

#include "core/text.hpp"

namespace g2d::sys {

namespace {

// Fetched once: OpenSSL 3 looks an implicit EVP_sha256() up on every digest it starts.
const EVP_MD* sha256_md() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md != nullptr ? md : EVP_sha256();
}

}  // namespace

std::string sha256_hex(std::string_view data) {
  Sha256 sha;
  sha.reset();
  sha.update(data.data(), data.size());
  return sha.hex();
}

Sha256::Sha256() : m_ctx(EVP_MD_CTX_new()) {}

Sha256::~Sha256() {
  EVP_MD_CTX_free(m_ctx);
}

bool Sha256::reset() {
  return m_ctx != nullptr && EVP_DigestInit_ex(m_ctx, sha256_md(), nullptr) == 1;
}

void Sha256::update(const void* data, std::size_t size) {
  EVP_DigestUpdate(m_ctx, data, size);
}

std::string Sha256::hex() {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  EVP_DigestFinal_ex(m_ctx, digest.data(), &len);
  return to_hex({reinterpret_cast<const char*>(digest.data()), len});
}

}  // namespace g2d::sys
