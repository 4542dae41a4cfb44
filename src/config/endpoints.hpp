// config/endpoints.hpp — the LLM servers a run uses: `llm.base_urls` (several), each item a line
// "URL [parallel=N] [weight=N] [api_key_env=NAME]" in the manner of nginx's upstream `server`
// lines, or `llm.base_url` (one server, no options).
//
//   parallel     files this server takes at once (1 .. 256; absent: pipeline.max_concurrent_files)
//   weight       how much faster than the others it is (1 .. 100, default 1): of the servers with
//                room, a new file goes to the one with the fewest files in flight per
//                parallel × weight
//   api_key_env  the environment variable holding this server's API key (absent: the backend's
//                usual one, OPENAI_API_KEY for openai and mlx); the key is sent to this server only
//
// Thread-safety: pure functions. Errors: parse_endpoint says what is wrong with the line (the
// config loader adds the key, the item and the line).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"

namespace g2d::config {

constexpr int k_max_endpoint_parallel = 256;
constexpr int k_max_endpoint_weight = 100;

struct EndpointSpec {
  std::string url;          // http:// or https://, as written
  int parallel = 0;         // 0: pipeline.max_concurrent_files
  int weight = 1;           // 1 .. 100
  std::string api_key_env;  // "": the backend's usual variable

  bool operator==(const EndpointSpec&) const = default;
};

// One item of llm.base_urls. Error (config): what is wrong, e.g. "parallel takes an integer from 1
// to 256".
Result<EndpointSpec> parse_endpoint(std::string_view text);

// The servers a (validated) configuration names: each item of llm.base_urls, else llm.base_url as
// the one server, else none (the backend's usual local address).
std::vector<EndpointSpec> endpoints(const Config& config);

// `text` with the user and password of each URL in it replaced by "***" (for messages).
std::string without_userinfo(std::string_view text);

// The URL as two items naming one server compare: no trailing '/'.
std::string endpoint_identity(std::string_view url);

}  // namespace g2d::config
