#include "app/context.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <unistd.h>

#include <fmt/chrono.h>
#include <spdlog/spdlog.h>

#include "config/endpoints.hpp"
#include "core/text.hpp"
#include "llm/llama/llama_backend.hpp"
#include "llm/ollama/ollama_backend.hpp"
#include "llm/openai/mlx_server.hpp"
#include "llm/openai/openai_backend.hpp"
#include "llm/router.hpp"
#include "sys/host.hpp"
#include "sys/logging.hpp"
#include "sys/paths.hpp"
#include "sys/resources.hpp"

namespace g2d::app {

namespace fs = std::filesystem;

std::optional<fs::path> config_file_for(const cli::Invocation& inv) {
  if (inv.config_file)
    return inv.config_file;
  std::error_code ec;
  if (fs::exists("git2dataset.yaml", ec))
    return fs::path("git2dataset.yaml");
  return std::nullopt;
}

config::LoadedConfig load_config(const cli::Invocation& inv) {
  config::LoadOptions options;
  options.file = config_file_for(inv);
  options.environment = config::process_environment();
  options.overrides = inv.overrides;
  auto loaded = config::load(options);
  if (!loaded)
    throw UsageError(loaded.error().message);
  return std::move(*loaded);
}

fs::path model_path(const config::LoadedConfig& cfg) {
  const std::string& model = cfg.config.llm.model;
  if (model.empty())
    return sys::default_model_path();
  return config::resolve_path(cfg, model);
}

namespace {

using Factory = std::function<Result<std::unique_ptr<llm::Backend>>(const config::LoadedConfig&)>;

// llm.threads, or when it is 0 the cores other processes leave free (measured over a fifth of a
// second), with a warning when that is fewer than the machine has.
int engine_threads(int configured) {
  if (configured > 0)
    return configured;
  auto before = sys::cpu_times();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  auto after = sys::cpu_times();
  if (!before || !after)
    return 0;
  auto busy = sys::busy_cores(*before, *after);
  int threads = sys::engine_threads(0, busy, after->cpus);
  if (threads > 0 && threads < after->cpus)
    spdlog::warn(
        "{:.1f} of {} CPU cores are busy with other work: the model runs on {} thread{} "
        "(llm.threads sets the number)",
        *busy, after->cpus, threads, threads == 1 ? "" : "s");
  return threads;
}

Result<std::unique_ptr<llm::Backend>> make_llama(const config::LoadedConfig& cfg) {
  const auto& llm = cfg.config.llm;
  llm::llama::EngineOptions options;
  options.model = model_path(cfg);
  options.context_window = llm.context_window;
  options.max_sequences = cfg.config.pipeline.max_concurrent_files;
  options.threads = engine_threads(llm.threads);
  options.gpu_layers = llm.gpu_layers;
  options.draft_tokens = llm.draft_tokens;
  options.idle_unload = std::chrono::seconds(cfg.config.resources.unload_after_idle_seconds);
  return llm::llama::make_llama_backend(std::move(options));
}

// What every server backend takes from the configuration: where, which model, how long to wait.
template <class Options>
Options server_options(const config::LoadedConfig& cfg) {
  const auto& llm = cfg.config.llm;
  Options options;
  if (!llm.base_url.empty())
    options.base_url = llm.base_url;
  options.model = llm.model;
  options.request_timeout = std::chrono::seconds(llm.request_timeout);
  options.seconds_per_token = llm.seconds_per_token;
  options.context_window = llm.context_window;
  return options;
}

// The API key a server of llm.base_urls is sent: its api_key_env's variable (which must be set),
// else `usual` (OPENAI_API_KEY for openai and mlx; none for ollama).
Result<std::string> api_key_of(const config::EndpointSpec& spec, std::size_t index,
                               const char* usual) {
  const std::string variable =
      spec.api_key_env.empty() ? std::string(usual ? usual : "") : spec.api_key_env;
  if (variable.empty())
    return std::string();
  const char* key = std::getenv(variable.c_str());
  if (key == nullptr && !spec.api_key_env.empty())
    return fail(ErrorKind::config,
                "llm.base_urls[{}]: api_key_env names {}, which is not set in the environment",
                index, variable);
  return std::string(key != nullptr ? key : "");
}

// llm.base_urls: one backend per server, made by `one` from the server's URL and key, behind the
// router (llm/router.hpp).
template <class Options>
Result<std::unique_ptr<llm::Backend>> make_routed(
    const config::LoadedConfig& cfg, const char* usual_key,
    const std::function<std::unique_ptr<llm::Backend>(Options)>& one) {
  std::vector<llm::RoutedServer> servers;
  const auto specs = config::endpoints(cfg.config);
  for (std::size_t i = 0; i < specs.size(); ++i) {
    auto options = server_options<Options>(cfg);
    options.base_url = specs[i].url;
    auto key = api_key_of(specs[i], i, usual_key);
    if (!key)
      return tl::unexpected(key.error());
    options.api_key = std::move(*key);
    llm::RoutedServer server;
    server.name = config::without_userinfo(specs[i].url);
    server.backend = one(std::move(options));
    server.parallel =
        specs[i].parallel > 0 ? specs[i].parallel : cfg.config.pipeline.max_concurrent_files;
    server.weight = specs[i].weight;
    servers.push_back(std::move(server));
  }
  llm::RouterOptions options;
  options.allow_mixed_models = cfg.config.llm.allow_mixed_models;
  return llm::make_router(std::move(servers), options);
}

// OpenAI-compatible servers; the API key comes from OPENAI_API_KEY (never from a file that could
// be committed), and is only ever sent to base_url.
Result<std::unique_ptr<llm::Backend>> make_openai(const config::LoadedConfig& cfg) {
  if (!cfg.config.llm.base_urls.empty())
    return make_routed<llm::openai::OpenAiOptions>(cfg, "OPENAI_API_KEY",
                                                   llm::openai::make_openai_backend);
  auto options = server_options<llm::openai::OpenAiOptions>(cfg);
  if (const char* key = std::getenv("OPENAI_API_KEY"); key != nullptr)
    options.api_key = key;
  return llm::openai::make_openai_backend(std::move(options));
}

// mlx_lm.server at base_url; without one, git2dataset starts mlx_lm.server with the model itself
// (and stops it after unload_after_idle_seconds and at the end).
Result<std::unique_ptr<llm::Backend>> make_mlx(const config::LoadedConfig& cfg) {
  if (!cfg.config.llm.base_urls.empty())
    return make_routed<llm::openai::OpenAiOptions>(cfg, "OPENAI_API_KEY",
                                                   llm::openai::make_mlx_backend);
  auto options = server_options<llm::openai::OpenAiOptions>(cfg);
  if (!cfg.config.llm.base_url.empty())
    return llm::openai::make_mlx_backend(std::move(options));
  llm::openai::MlxServerOptions managed;
  managed.client = std::move(options);
  // Loading (or a first download of) a model may take longer than a silent reply is allowed to.
  managed.start_timeout =
      std::max<std::chrono::milliseconds>(managed.start_timeout, managed.client.request_timeout);
  managed.idle_stop = std::chrono::seconds(cfg.config.resources.unload_after_idle_seconds);
  return llm::openai::make_managed_mlx_backend(std::move(managed));
}

// Ollama keeps the model loaded for unload_after_idle_seconds after each call.
Result<std::unique_ptr<llm::Backend>> make_ollama(const config::LoadedConfig& cfg) {
  const auto keep_alive = std::chrono::seconds(cfg.config.resources.unload_after_idle_seconds);
  const int threads = cfg.config.llm.threads;
  if (!cfg.config.llm.base_urls.empty())
    return make_routed<llm::ollama::OllamaOptions>(
        cfg, nullptr, [&](llm::ollama::OllamaOptions options) {
          options.keep_alive = keep_alive;
          options.threads = threads;
          return llm::ollama::make_ollama_backend(std::move(options));
        });
  auto options = server_options<llm::ollama::OllamaOptions>(cfg);
  options.keep_alive = keep_alive;
  options.threads = threads;
  return llm::ollama::make_ollama_backend(std::move(options));
}

const std::map<std::string, Factory, std::less<>>& backend_table() {
  static const std::map<std::string, Factory, std::less<>> table{{"llama_cpp", make_llama},
                                                                 {"mlx", make_mlx},
                                                                 {"ollama", make_ollama},
                                                                 {"openai", make_openai}};
  return table;
}

}  // namespace

Result<std::unique_ptr<llm::Backend>> make_backend(const config::LoadedConfig& cfg) {
  const std::string& name = cfg.config.llm.backend;
  auto it = backend_table().find(name);
  if (it == backend_table().end()) {
    return fail(ErrorKind::config,
                "llm.backend: \"{}\" is not available in this version of git2dataset (available: "
                "llama_cpp, mlx, ollama, openai)",
                name);
  }
  return it->second(cfg);
}

std::vector<store::EndpointView> endpoint_views(const llm::Backend& backend) {
  std::vector<store::EndpointView> out;
  for (const auto& e : backend.endpoints())
    out.push_back({e.name, e.model, e.state, e.why, e.in_flight, e.parallel, e.calls, e.errors,
                   e.prompt_tokens, e.cached_prompt_tokens, e.completion_tokens});
  return out;
}

int concurrent_files(const config::LoadedConfig& cfg) {
  const auto& c = cfg.config;
  if (c.llm.backend == "llama_cpp" || c.llm.base_urls.empty())
    return c.pipeline.max_concurrent_files;
  int total = 0;
  for (const auto& spec : config::endpoints(c))
    total += spec.parallel > 0 ? spec.parallel : c.pipeline.max_concurrent_files;
  return std::max(1, total);
}

Result<generate::PromptSet> prompt_set(const config::LoadedConfig& cfg) {
  const std::string& dir = cfg.config.llm.prompts_dir;
  if (dir.empty())
    return generate::builtin_prompts();
  return generate::load_prompts(config::resolve_path(cfg, dir));
}

generate::GenerationMode generation_mode(const config::LoadedConfig& cfg) {
  return cfg.config.generation.mode == "pairs" ? generate::GenerationMode::pairs
                                               : generate::GenerationMode::two_step;
}

fs::path database_path(const config::LoadedConfig& cfg) {
  return config::resolve_path(cfg, cfg.config.pipeline.database);
}

bool database_is_url(const config::LoadedConfig& cfg) {
  return cfg.config.pipeline.database.find("://") != std::string::npos;
}

fs::path log_file_path(const config::LoadedConfig& cfg) {
  if (database_is_url(cfg))
    return cfg.base_dir / "git2dataset.log";
  return database_path(cfg).replace_extension(".log");
}

void attach_log_file(const config::LoadedConfig& cfg) {
  sys::attach_log_file(log_file_path(cfg));
}

std::unique_ptr<store::Store> open_existing_database(const config::LoadedConfig& cfg,
                                                     store::OpenMode mode) {
  if (database_is_url(cfg))
    throw UsageError("pipeline.database: PostgreSQL is not supported by this build yet");
  std::filesystem::path db = database_path(cfg);
  if (!std::filesystem::exists(db)) {
    spdlog::error("{}: no database yet (run `git2dataset prepare` first)", db.string());
    return nullptr;
  }
  auto store = store::open_sqlite(db, mode);
  if (!store) {
    spdlog::error("{}", store.error().message);
    return nullptr;
  }
  return std::move(*store);
}

std::shared_ptr<sys::FileLock> lock_database(const config::LoadedConfig& cfg,
                                             std::string_view command) {
  if (database_is_url(cfg))
    throw UsageError("pipeline.database: PostgreSQL is not supported by this build yet");
  // Beside the database file itself, so that two paths to one database (a symlink) share a lock.
  std::error_code canonical_error;
  fs::path path = fs::weakly_canonical(database_path(cfg), canonical_error);
  if (canonical_error)
    path = database_path(cfg);
  path += ".lock";
  // Within this process the lock is shared: a second FileLock on the file would conflict with
  // the first (each open is its own flock).
  static std::mutex mutex;
  static std::map<fs::path, std::weak_ptr<sys::FileLock>> held;
  std::lock_guard guard(mutex);
  if (auto it = held.find(path); it != held.end())
    if (auto lock = it->second.lock())
      return lock;
  std::error_code ec;
  if (path.has_parent_path())
    fs::create_directories(path.parent_path(), ec);  // a failure is reported by try_lock
  std::time_t now = std::time(nullptr);
  std::string holder = fmt::format("{} (pid {} on {}, since {:%Y-%m-%d %H:%M:%S} UTC)", command,
                                   getpid(), sys::host_name(), fmt::gmtime(now));
  auto lock = sys::FileLock::try_lock(path, holder);
  if (!lock) {
    if (lock.error().kind == ErrorKind::unavailable)
      spdlog::error(
          "{} is in use by another git2dataset: {}. Wait for it to finish or stop it; status, tui, "
          "export and prepare --dry-run work meanwhile.",
          database_path(cfg).string(), printable(lock.error().message));
    else
      spdlog::error("{}", lock.error().message);
    return nullptr;
  }
  auto shared = std::make_shared<sys::FileLock>(std::move(*lock));
  held[path] = shared;
  return shared;
}

}  // namespace g2d::app
