#include "pipeline/prepare.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_set>

#include <spdlog/spdlog.h>

#include "core/repository_name.hpp"
#include "pipeline/file_units.hpp"
#include "pipeline/repo_identifiers.hpp"
#include "quality/quality.hpp"
#include "redact/redact.hpp"
#include "sys/safe_read.hpp"
#include "sys/sha256.hpp"

namespace g2d::pipeline {

namespace {

namespace fs = std::filesystem;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The file as discovery saw it (sys/safe_read.hpp: no symlink, no fifo, nothing larger than
// what was hashed); nullopt when it changed since (another size or content).
Result<std::optional<std::string>> read_as_discovered(const fs::path& repos_dir,
                                                      const discover::SourceFile& file) {
  auto opened = sys::open_regular_file(repos_dir / file.repo, file.path);
  if (!opened)
    return tl::unexpected(opened.error());
  if (opened->size != file.size)
    return std::optional<std::string>();
  // One byte more than was hashed tells a file that grew since (changed, not failed).
  auto content = sys::read_prefix(*opened, file.size + 1, file.file_path);
  if (!content)
    return tl::unexpected(content.error());
  if (content->size() != file.size || sys::sha256_hex(*content) != file.sha256)
    return std::optional<std::string>();
  return std::optional<std::string>(std::move(*content));
}

class Runner {
 public:
  Runner(store::Store& store, llm::Backend& backend, const generate::PromptSet& prompts,
         const PrepareOptions& options)
      : m_store(store),
        m_backend(backend),
        m_prompts(prompts),
        m_prompt_version(generate::prompts_version(prompts, options.mode)),
        m_options(options) {}

  Result<PrepareSummary> run(const Plan& plan) {
    // In-flight calls stop when the caller abandons the run or the store fails; taking stops on
    // those and on the caller's graceful stop.
    std::stop_callback forward(m_options.abandon, [this] { m_cancel.request_stop(); });
    std::stop_callback stop_taking(m_options.stop_taking, [this] { m_no_more.request_stop(); });
    std::stop_callback cancelled(m_cancel.get_token(), [this] { m_no_more.request_stop(); });
    for (const auto& path : plan.deleted) {
      auto retired = m_store.retire_file(path);
      if (!retired)
        return tl::unexpected(retired.error());
      ++m_summary.retired;
      spdlog::info("retired {} ({} samples): no longer in its repository", path, *retired);
    }
    auto failed = m_store.failed_files();
    if (!failed)
      return tl::unexpected(failed.error());
    for (const auto& f : *failed)
      m_retry_counts[f.file_path] = f.retry_count;

    for (const auto& f : plan.files)
      if (f.change != Change::unchanged)
        m_work.push_back(&f);
    m_repo_identifiers.emplace(m_options.repos_dir, plan);
    if (!m_work.empty()) {
      auto budgets = token_budgets(m_backend, m_prompts, unit_options());
      if (!budgets)
        return tl::unexpected(budgets.error());
      m_budgets = *budgets;
    }
    std::vector<std::jthread> workers;
    int n = std::max(1, std::min<int>(m_options.concurrent_files, static_cast<int>(m_work.size())));
    workers.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i)
      workers.emplace_back([this] { work(); });
    workers.clear();  // joins
    if (m_store_error)
      return tl::unexpected(*m_store_error);
    return m_summary;
  }

 private:
  const PlannedFile* take() {
    if (m_options.before_take && work_left())
      m_options.before_take(m_no_more.get_token());
    std::lock_guard lock(m_mutex);
    if (m_store_error || m_next >= m_work.size())
      return nullptr;
    if (m_no_more.stop_requested()) {
      m_summary.stopped = true;
      return nullptr;
    }
    return m_work[m_next++];
  }

  bool work_left() {
    std::lock_guard lock(m_mutex);
    return !m_store_error && m_next < m_work.size() && !m_cancel.stop_requested();
  }

  void work() {
    while (const PlannedFile* f = take()) {
      const std::string& path = f->file.file_path;
      if (m_options.progress != nullptr)
        m_options.progress->on_file_started(path);
      process(*f);
      if (m_options.progress != nullptr)
        m_options.progress->on_file_ended(path);
    }
  }

  void report(const FileOutcome& outcome) {
    std::lock_guard lock(m_mutex);
    if (outcome.ok) {
      ++m_summary.done;
      m_summary.samples += outcome.samples;
    } else {
      ++m_summary.failed;
    }
    if (m_options.progress != nullptr)
      m_options.progress->on_file_done(outcome);
  }

  void skip(const std::string& path, const std::string& why) {
    std::lock_guard lock(m_mutex);
    ++m_summary.skipped;
    spdlog::warn("{}: {}", path, why);
  }

  void store_failed(const Error& e) {
    std::lock_guard lock(m_mutex);
    if (!m_store_error)
      m_store_error = e;
    m_cancel.request_stop();  // nothing more can be stored: stop the files in flight
  }

  void process(const PlannedFile& planned) {
    const auto& file = planned.file;
    auto start = std::chrono::steady_clock::now();
    if (auto it = m_retry_counts.find(file.file_path);
        it != m_retry_counts.end() && it->second >= m_options.max_retries) {
      skip(file.file_path, fmt::format("failed {} times; left alone (`git2dataset retry` "
                                       "re-queues it)",
                                       it->second));
      return;
    }
    auto read = read_as_discovered(m_options.repos_dir, file);
    if (read && !*read) {
      skip(file.file_path, "changed since discovery; it will be taken on the next run");
      return;
    }
    Result<std::string> content =
        read ? Result<std::string>(std::move(**read)) : tl::unexpected(read.error());
    // Secrets never reach a prompt, so never a sample or a log line either.
    redact::Redacted clean = content ? redact::redact_secrets(*content) : redact::Redacted{};
    if (!clean.found.empty()) {
      std::string kinds;
      for (const auto& [kind, n] : clean.counts_by_kind())
        kinds += fmt::format("{}{} {}", kinds.empty() ? "" : ", ", n, kind);
      spdlog::info("{}: {} secret{} redacted ({})", file.file_path, clean.found.size(),
                   clean.found.size() == 1 ? "" : "s", kinds);
    }
    Result<std::vector<UnitPairs>> units =
        content ? generate_file_units(context(), file, clean.text, m_cancel.get_token())
                : tl::unexpected(content.error());
    FileOutcome outcome;
    outcome.file_path = file.file_path;
    outcome.redactions = static_cast<int>(clean.found.size());
    outcome.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!units && units.error().kind == ErrorKind::store) {
      store_failed(units.error());
      return;
    }
    if (!units) {
      if (units.error().kind == ErrorKind::cancelled) {
        std::lock_guard lock(m_mutex);
        m_summary.stopped = true;
        return;  // abandoned: neither done nor failed
      }
      outcome.error = units.error().describe();
      auto recorded = m_store.record_failure(file.file_path, to_string(units.error().kind),
                                             units.error().message, now_ms());
      if (!recorded)
        store_failed(recorded.error());
      report(outcome);
      return;
    }
    auto rows = samples(planned, *units, clean.text);
    auto committed = m_store.commit_file(record(planned), rows);
    if (!committed) {
      store_failed(committed.error());
      return;
    }
    outcome.ok = true;
    outcome.samples = static_cast<int>(rows.size());
    report(outcome);
  }

  generate::UnitOptions unit_options() const {
    generate::UnitOptions o;
    o.questions = m_options.questions_per_file;
    o.mode = m_options.mode;
    o.max_tokens = m_options.max_tokens;
    o.longer_max_tokens = 2 * m_options.max_tokens;  // within the context's room: token_budgets
    o.temperature = m_options.temperature;
    o.max_attempts = 1 + m_options.max_retries;
    o.backoff = m_options.backoff;
    return o;
  }

  FileUnitsContext context() {
    generate::UnitOptions options = unit_options();
    options.max_tokens = m_budgets.answer;
    options.longer_max_tokens = m_budgets.longer_answer;
    return FileUnitsContext{m_store,
                            m_backend,
                            m_prompts,
                            options,
                            m_budgets.code,
                            m_options.max_units_per_file,
                            m_options.settings_fingerprint,
                            m_options.progress};
  }

  store::FileRecord record(const PlannedFile& planned) const {
    store::FileRecord r;
    r.file_path = planned.file.file_path;
    r.repo = planned.file.repo;
    r.commit_sha = planned.commit;
    r.file_hash = planned.file.sha256;
    r.language = planned.file.language;
    r.settings_fingerprint = m_options.settings_fingerprint;
    r.last_processed = now_ms();
    return r;
  }

  std::vector<store::SampleRecord> samples(const PlannedFile& planned,
                                           const std::vector<UnitPairs>& units,
                                           std::string_view file_text) {
    std::vector<store::SampleRecord> out;
    std::int64_t now = now_ms();
    // An answer may rightly name what the unit uses from elsewhere in its file, or from another
    // file of its repository.
    std::unordered_set<std::string_view> file_identifiers;
    quality::for_each_identifier(file_text,
                                 [&](std::string_view id) { file_identifiers.insert(id); });
    auto repository = m_repo_identifiers->of(planned.file.repo);
    auto in_file = [&](std::string_view id) {
      return file_identifiers.contains(id) || repository->contains(id);
    };
    for (const auto& unit : units) {
      for (const auto& p : unit.pairs) {
        store::SampleRecord s;
        s.file_path = planned.file.file_path;
        s.question = p.question;
        s.answer = p.answer;
        s.model_used = p.model.empty() ? m_options.model : p.model;
        auto url = m_options.repo_urls.find(planned.file.repo);
        s.repo_url =
            url != m_options.repo_urls.end() ? url->second : name_of_folder(planned.file.repo);
        s.commit_sha = planned.commit;
        s.file_hash = planned.file.sha256;
        s.line_start = unit.line_start;
        s.line_end = unit.line_end;
        s.prompt_version = m_prompt_version;
        s.settings_fingerprint = m_options.settings_fingerprint;
        s.prompt_tokens = p.prompt_tokens;
        s.completion_tokens = p.completion_tokens;
        s.created_at = now;
        s.code = unit.code;
        s.scope = unit.scope;
        measure_quality(s, p.truncated, in_file);
        out.push_back(std::move(s));
      }
    }
    return out;
  }

  // The quality measures of a sample (quality/): flags of the answer alone, its grounding in the
  // unit's code (or its file, or its repository), and the keys that find duplicates across the
  // dataset.
  static void measure_quality(store::SampleRecord& s, bool truncated,
                              const std::function<bool(std::string_view)>& in_file) {
    std::vector<quality::Flag> flags;
    if (truncated)
      flags.push_back(quality::Flag::truncated);
    for (quality::Flag f : quality::text_flags(s.question, s.answer, s.code))
      flags.push_back(f);
    s.quality_flags = quality::join_flags(flags);
    s.grounding = quality::grounding(s.answer, s.code, in_file).score;
    // Scoped to the unit's code: the same question about other code is another sample.
    const std::uint64_t scope = quality::code_key(s.code);
    s.duplicate_key =
        static_cast<std::int64_t>(quality::duplicate_key(s.question, s.answer, scope));
    auto signature = quality::minhash(s.question, scope);
    s.question_signature = quality::encode_signature(signature);
    auto bands = quality::band_keys(signature);
    s.question_bands.assign(bands.begin(), bands.end());
  }

  store::Store& m_store;
  llm::Backend& m_backend;
  const generate::PromptSet& m_prompts;
  const std::string m_prompt_version;  // what the samples record
  const PrepareOptions& m_options;
  std::map<std::string, int> m_retry_counts;  // read before the workers start
  std::vector<const PlannedFile*> m_work;
  TokenBudgets m_budgets;                             // set before the workers start
  std::optional<RepoIdentifiers> m_repo_identifiers;  // set before the workers start

  std::mutex m_mutex;  // guards what follows
  size_t m_next = 0;
  PrepareSummary m_summary;
  std::optional<Error> m_store_error;
  std::stop_source m_cancel;   // requested by `abandon` or a store failure
  std::stop_source m_no_more;  // take no more files: requested by `stop_taking` or m_cancel
};

}  // namespace

Result<PrepareSummary> run_prepare(store::Store& store, llm::Backend& backend,
                                   const generate::PromptSet& prompts, const Plan& plan,
                                   const PrepareOptions& options) {
  Runner runner(store, backend, prompts, options);
  return runner.run(plan);
}

}  // namespace g2d::pipeline
