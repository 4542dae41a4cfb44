// app/context.hpp — what several commands share: loading the effective configuration for an
// invocation, and building the configured backend (a table keyed by backend name).
//
// Errors: load_config throws UsageError (exit 2) naming every problem; make_backend returns
// ErrorKind::config for a backend this build does not provide.
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "cli/parser.hpp"
#include "config/config.hpp"
#include "core/error.hpp"
#include "generate/prompts.hpp"
#include "llm/backend.hpp"
#include "store/run_state.hpp"
#include "store/store.hpp"
#include "sys/file_lock.hpp"

namespace g2d::app {

// The --config file, else ./git2dataset.yaml when it exists, else none (defaults).
std::optional<std::filesystem::path> config_file_for(const cli::Invocation& inv);

config::LoadedConfig load_config(const cli::Invocation& inv);

// llm.model, or the default model scripts/setup.sh fetched when it is empty (llama_cpp only).
std::filesystem::path model_path(const config::LoadedConfig& cfg);

// The configured backend; with llm.base_urls, one per server behind llm/router.hpp. Errors: config
// (a backend this build lacks; a server's api_key_env naming an unset variable).
Result<std::unique_ptr<llm::Backend>> make_backend(const config::LoadedConfig& cfg);

// The backend's servers (llm.base_urls) as the run's record keeps them; empty with one server.
std::vector<store::EndpointView> endpoint_views(const llm::Backend& backend);

// Files generated at once: pipeline.max_concurrent_files, or with llm.base_urls the sum of the
// servers' parallel (each defaulting to max_concurrent_files).
int concurrent_files(const config::LoadedConfig& cfg);

// The prompt templates: built-in, or llm.prompts_dir's files over them (resolved against the
// configuration's folder). Errors: load_prompts's.
Result<generate::PromptSet> prompt_set(const config::LoadedConfig& cfg);

// generation.mode (validated by the configuration's schema).
generate::GenerationMode generation_mode(const config::LoadedConfig& cfg);

// pipeline.database as a file path, resolved against the configuration's folder.
std::filesystem::path database_path(const config::LoadedConfig& cfg);

// Whether pipeline.database is a server URL (postgresql://...) rather than a SQLite file.
bool database_is_url(const config::LoadedConfig& cfg);

// The database of a command that reads what prepare stored (status, retry, export): null, after
// logging why, when there is none yet or it cannot be opened. UsageError for a PostgreSQL URL.
std::unique_ptr<store::Store> open_existing_database(const config::LoadedConfig& cfg,
                                                     store::OpenMode mode);

// The database's writer lock, `<database>.lock` (sys::FileLock): one command that writes to a
// database (prepare, run, retry) at a time, so two prepares never generate the same files twice.
// Read-only commands (status, tui, export, prepare --dry-run) never take it. Held while the
// returned handle lives; a second call in this process (run's prepare) shares the first's. Null,
// after logging who holds it (`command`, pid, host, since when), when another process does, or
// when the lock file cannot be opened.
std::shared_ptr<sys::FileLock> lock_database(const config::LoadedConfig& cfg,
                                             std::string_view command);

// The run's log file: beside the database, with the extension .log (git2dataset.db →
// git2dataset.log); for a database URL, git2dataset.log beside the configuration. Commands that
// use the database attach it.
std::filesystem::path log_file_path(const config::LoadedConfig& cfg);
void attach_log_file(const config::LoadedConfig& cfg);

}  // namespace g2d::app
