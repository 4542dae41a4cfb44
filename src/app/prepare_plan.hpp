// app/prepare_plan.hpp — what `prepare` asks of the configuration and the repositories before a
// run: the repositories discovered (discover/, with the files git tracks and the commit checked
// out), the database for a run or a dry run, the dry run's listing, and how the model and the
// repositories are named in the dataset and on the dashboard.
//
// Ownership: plain values; the store returned is the caller's. Thread-safety: reentrant.
// Errors: discovery's problems per repository are logged and the repository is taken as it is;
// open_prepare_store returns the store's error (UsageError for a database URL: not supported).
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/error.hpp"
#include "pipeline/plan.hpp"
#include "store/store.hpp"

namespace g2d::app {

// Every repository under repos_dir discovered (`repos`: their folders), in order.
std::vector<pipeline::DiscoveredRepo> discover_all(const config::LoadedConfig& cfg,
                                                   const std::filesystem::path& repos_dir,
                                                   const std::vector<std::string>& repos);

// The database for a run (read-write, created if needed) or a dry run (read-only, never created:
// null without an error when there is none; an older schema is upgraded first, as any prepare
// would).
Result<std::unique_ptr<store::Store>> open_prepare_store(const config::LoadedConfig& cfg,
                                                         bool dry_run);

// The dry run's listing: one line per path, in path order, then the totals.
void print_plan(const pipeline::Plan& plan, std::ostream& out);

// What identifies the model in the settings fingerprint: the backend and the model's name (for
// llama_cpp, the GGUF file's name: moving the file does not invalidate the dataset).
std::string model_identity(const config::LoadedConfig& cfg);
// The model as the dashboard shows it: for llama_cpp the GGUF file's name, else llm.model.
std::string model_shown(const config::LoadedConfig& cfg);
// What each repository's samples publish as repo_url (git/repos_file.hpp RepoRef::name: never
// credentials or a local path) by directory, from repos.txt when it is readable.
std::map<std::string, std::string> repo_urls(const config::LoadedConfig& cfg);

}  // namespace g2d::app
