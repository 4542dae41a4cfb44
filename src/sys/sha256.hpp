// sys/sha256.hpp — SHA-256 (OpenSSL), as lower-case hex: of a byte string at once, or of bytes
// that arrive in pieces (a file read block by block). The one SHA-256 in the project.
//
// Ownership: a Sha256 owns its OpenSSL context; the algorithm is fetched once per process.
// Thread-safety: sha256_hex is reentrant; a Sha256 is used by one thread at a time. Errors:
// none in practice — a Sha256 whose OpenSSL has no SHA-256 says so through ok().
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace g2d::sys {

std::string sha256_hex(std::string_view data);

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  // Starts a new digest; false when SHA-256 is not available.
  bool reset();
  void update(const void* data, std::size_t size);
  // The digest of everything given since reset(); the next digest needs a reset().
  std::string hex();

 private:
  evp_md_ctx_st* m_ctx;
};

}  // namespace g2d::sys
