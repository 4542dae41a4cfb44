#include "sys/sha256.hpp"

#include <array>
#include <openssl/evp.h>

#include "core/text.hpp"

namespace g2d::sys {

std::string sha256_hex(std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &len, EVP_sha256(), nullptr);
  return to_hex({reinterpret_cast<const char*>(digest.data()), len});
}

}  // namespace g2d::sys
