#include <chrono>
#include <ostream>
#include <sys/statvfs.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "app/commands.hpp"
#include "app/context.hpp"
#include "core/text.hpp"
#include "generate/prompts.hpp"
#include "generate/question_check.hpp"
#include "llm/json_schema.hpp"
#include "store/store.hpp"
#include "sys/process.hpp"

namespace g2d::app {

namespace fs = std::filesystem;

namespace {

enum class Verdict { ok, warn, fail };

class Report {
 public:
  explicit Report(std::ostream& out) : m_out(out) {}
  void add(Verdict verdict, std::string_view what, const std::string& detail) {
    static constexpr std::string_view k_labels[] = {"ok  ", "warn", "FAIL"};
    // A detail may hold what a server or a model wrote: never raw control characters.
    m_out << "  " << k_labels[static_cast<int>(verdict)] << "  " << what << ": "
          << printable(detail) << "\n";
    if (verdict == Verdict::fail)
      m_failed = true;
  }
  bool failed() const { return m_failed; }

 private:
  std::ostream& m_out;
  bool m_failed = false;
};

void check_git(Report& report) {
  auto git = sys::run_process({"git", "--version"});
  if (!git) {
    report.add(Verdict::fail, "git", git.error().message);
  } else if (git->exit_code != 0) {
    report.add(Verdict::fail, "git", fmt::format("`git --version` exited {}", git->exit_code));
  } else {
    std::string version = git->output;
    while (!version.empty() && (version.back() == '\n' || version.back() == '\r'))
      version.pop_back();
    report.add(Verdict::ok, "git", version);
  }
}

// A question request built exactly as the pipeline builds one (its prompts and schema): proves the
// backend generates, and generates JSON that matches the schema.
void check_generation(Report& report, llm::Backend& backend, const generate::PromptSet& prompts) {
  generate::CodeUnit unit{
      "example/add.c", "c", 1, 1, "", "int add(int a, int b) { return a + b; }\n"};
  llm::GenerateRequest probe;
  probe.messages = generate::question_messages(prompts, unit, 1);
  probe.json_schema = generate::questions_schema(1);
  probe.max_tokens = 512;  // room for the longest question the schema allows
  probe.temperature = 0;
  auto start = std::chrono::steady_clock::now();
  auto result = backend.generate(probe, {});
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!result) {
    report.add(Verdict::fail, "generation", result.error().describe());
    return;
  }
  // What the pipeline does with the reply: the schema's shape, then its own check of the question.
  auto json = nlohmann::json::parse(result->text, nullptr, false);
  auto problems = json.is_discarded() ? std::vector<std::string>{"the reply is not JSON"}
                                      : llm::validate_json(json, *probe.json_schema);
  auto candidates = generate::candidate_questions(result->text);
  if (!problems.empty() || candidates.empty()) {
    report.add(Verdict::warn, "generation",
               fmt::format("{}{}: {}", problems.empty() ? "no question" : problems.front(),
                           candidates.empty() ? "" : " (the pipeline takes the questions it finds)",
                           printable(result->text.substr(0, 120))));
    return;
  }
  auto usable =
      generate::usable_question(candidates.front(), unit.code, prompts.questions, unit.path);
  report.add(
      Verdict::ok, "generation",
      fmt::format("schema-valid JSON, {} tokens in {:.1f} s: \"{}\"{}", result->completion_tokens,
                  seconds, printable(candidates.front()),
                  usable ? "" : "; the pipeline would ask again: " + usable.error().message));
}

void check_backend(Report& report, const config::LoadedConfig& cfg) {
  auto prompts = prompt_set(cfg);
  if (prompts) {
    const std::string version = generate::prompts_version(*prompts, generation_mode(cfg));
    report.add(Verdict::ok, "prompts",
               fmt::format("{}{}, generation.mode {}", version,
                           cfg.config.llm.prompts_dir.empty()
                               ? ""
                               : fmt::format(" from {}", cfg.config.llm.prompts_dir),
                           cfg.config.generation.mode));
  } else {
    report.add(Verdict::fail, "prompts", prompts.error().message);
  }
  const auto& llm = cfg.config.llm;
  const bool embedded = llm.backend == "llama_cpp";
  auto backend = make_backend(cfg);
  if (!backend) {
    report.add(Verdict::fail, "backend", backend.error().message);
    return;
  }
  auto info = (*backend)->model_info();
  if (!info) {
    bool default_missing =
        embedded && llm.model.empty() && info.error().kind == ErrorKind::model_missing;
    report.add(Verdict::fail, "model",
               info.error().message +
                   (default_missing ? " (the default model: run scripts/setup.sh)" : ""));
    return;
  }
  std::string source = embedded ? model_path(cfg).string() : fmt::format("{} backend", llm.backend);
  report.add(Verdict::ok, "model",
             fmt::format("{} ({}, trained context {} tokens)", source, info->name,
                         info->trained_context_length));
  bool over =
      info->trained_context_length > 0 && info->context_length > info->trained_context_length;
  report.add(over ? Verdict::warn : Verdict::ok, "context",
             fmt::format("{} tokens per request{}{}", info->context_length,
                         llm.context_window == 0 ? " (the model's own)" : " (llm.context_window)",
                         over ? ", more than the model was trained for" : ""));
  // Several servers (llm.base_urls): each with what it serves, or why it is out.
  for (const auto& e : (*backend)->endpoints()) {
    if (e.state == "up")
      report.add(Verdict::ok, fmt::format("server {}", e.name),
                 fmt::format("{}, {} tokens per request, {} file{} at once", e.model, e.context,
                             e.parallel, e.parallel == 1 ? "" : "s"));
    else
      report.add(Verdict::warn, fmt::format("server {}", e.name),
                 fmt::format("{} ({}); the run goes on without it and takes it back when it "
                             "answers",
                             e.state, e.why));
  }
  report.add(info->structured_output ? Verdict::ok : Verdict::warn, "structured output",
             info->structured_output ? "JSON schema enforced while decoding"
                                     : "not supported: questions are validated and retried");
  if (prompts)
    check_generation(report, **backend, *prompts);
}

void check_database(Report& report, const config::LoadedConfig& cfg) {
  if (database_is_url(cfg)) {
    // Never echo the URL: it may carry credentials.
    report.add(Verdict::fail, "database",
               "a database URL (PostgreSQL scale-out) is not available in this version; use a "
               "SQLite file path");
    return;
  }
  fs::path db = database_path(cfg);
  std::error_code ec;
  if (!fs::exists(db, ec)) {
    fs::path dir = db.has_parent_path() ? db.parent_path() : fs::path(".");
    fs::path probe = dir;
    while (!probe.empty() && !fs::exists(probe, ec))
      probe = probe.parent_path();
    if (probe.empty())
      probe = ".";
    if (access(probe.c_str(), W_OK) == 0) {
      report.add(Verdict::ok, "database", fmt::format("{} (will be created)", db.string()));
    } else {
      report.add(Verdict::fail, "database", fmt::format("{} is not writable", probe.string()));
    }
    return;
  }
  // Read-only: a diagnosis never migrates or otherwise changes the database.
  auto store = store::open_sqlite(db, store::OpenMode::read_only);
  if (!store && store::is_older_schema(store.error())) {
    report.add(Verdict::warn, "database",
               fmt::format("{} is from an older git2dataset: the next prepare or run upgrades "
                           "it (doctor never changes the database)",
                           db.string()));
    return;
  }
  if (!store) {
    report.add(Verdict::fail, "database", store.error().message);
    return;
  }
  bool writable = access(db.c_str(), W_OK) == 0;
  report.add(writable ? Verdict::ok : Verdict::fail, "database",
             fmt::format("{} (schema version {}, {})", db.string(), (*store)->schema_version(),
                         writable ? "writable" : "NOT writable"));
}

void check_disk(Report& report, const config::LoadedConfig& cfg) {
  fs::path dir = database_is_url(cfg) ? cfg.base_dir : database_path(cfg).parent_path();
  std::error_code ec;
  while (!dir.empty() && !fs::exists(dir, ec))
    dir = dir.parent_path();
  if (dir.empty())
    dir = ".";
  struct statvfs st {};
  if (statvfs(dir.c_str(), &st) != 0) {
    report.add(Verdict::warn, "disk", fmt::format("cannot read free space of {}", dir.string()));
    return;
  }
  double free_gib = static_cast<double>(st.f_bavail) * static_cast<double>(st.f_frsize) /
                    (1024.0 * 1024.0 * 1024.0);
  report.add(free_gib < 1.0 ? Verdict::warn : Verdict::ok, "disk",
             fmt::format("{:.1f} GiB free in {}", free_gib, dir.string()));
}

}  // namespace

int run_doctor(const cli::Invocation& inv, std::ostream& out) {
  auto cfg = load_config(inv);
  attach_log_file(cfg);
  spdlog::debug("doctor: {}", cfg.file ? cfg.file->string() : "default configuration");
  Report report(out);
  report.add(Verdict::ok, "config",
             cfg.file ? fmt::format("{} (valid)", cfg.file->string()) : "defaults (no file)");
  check_git(report);
  check_backend(report, cfg);
  check_database(report, cfg);
  check_disk(report, cfg);
  return report.failed() ? 1 : 0;
}

}  // namespace g2d::app
