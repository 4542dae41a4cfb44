#include "dataset/export.hpp"

#include <optional>
#include <ostream>

#include <fmt/format.h>

#include "core/hash.hpp"
#include "core/repository_name.hpp"
#include "core/text.hpp"
#include "dataset/card.hpp"
#include "dataset/licence.hpp"
#include "dataset/output_file.hpp"
#include "discover/ignore.hpp"

namespace g2d::dataset {

namespace {

namespace fs = std::filesystem;

bool listed(const std::vector<std::string>& list, std::string_view value) {
  return list.empty() || std::find(list.begin(), list.end(), value) != list.end();
}

// What a sample publishes about where it comes from: its repository's name (a value an earlier
// version stored mapped to this version's form, core/repository_name.hpp) and the file's path in
// its repository (the stored file_path less the repository folder under repos_dir).
struct Provenance {
  std::string repository;
  std::string_view path;
};

// Text of a sample an earlier version made: the model was shown the clone folder of a local
// repository ("_local/corpus-1a2b3c4d/src/x.c"), so its question or answer may name it. Shown with
// the path in the repository, and the folder alone as the repository's name; `buffer` holds the
// text of the view returned when it had to change.
std::string_view without_clone_folder(std::string_view text, const store::SampleRecord& s,
                                      std::string_view repository, std::string& buffer) {
  if (!s.repo.starts_with("_local/") || text.find(s.repo) == std::string_view::npos)
    return text;
  buffer.assign(text);
  replace_all(buffer, s.repo + "/", "");
  replace_all(buffer, s.repo, repository);
  return buffer;
}

Provenance provenance_of(const store::SampleRecord& s) {
  Provenance o{published_repository(s.repo_url, s.repo), s.file_path};
  if (!s.repo.empty() && s.file_path.size() > s.repo.size() && s.file_path.starts_with(s.repo) &&
      s.file_path[s.repo.size()] == '/')
    o.path.remove_prefix(s.repo.size() + 1);
  return o;
}

// The selection names a repository by its published name, its stored repo_url, or its folder (the
// stored file path starts with it).
bool repository_selected(const Selection& s, const store::SampleRecord& sample,
                         const Provenance& origin) {
  if (s.repositories.empty())
    return true;
  for (const auto& repo : s.repositories)
    if (origin.repository == repo || sample.repo_url == repo ||
        sample.file_path.starts_with(repo + "/"))
      return true;
  return false;
}

// Why a sample is left out, or "" when it is kept. A path glob matches the path in the repository
// or the stored path (which starts with the repository folder).
std::string reason_to_leave_out(const ExportOptions& o, const store::SampleRecord& sample,
                                const Provenance& origin, const std::vector<quality::Flag>& flags) {
  const Selection& s = o.selection;
  if (!repository_selected(s, sample, origin))
    return "repository";
  if (!listed(s.languages, sample.language))
    return "language";
  if (!s.paths.empty()) {
    bool any = false;
    for (const auto& glob : s.paths)
      any = any || discover::wildmatch(glob, origin.path) ||
            discover::wildmatch(glob, sample.file_path);
    if (!any)
      return "path";
  }
  for (quality::Flag flag : flags)
    if (!s.keep.contains(flag))
      return std::string(quality::to_string(flag));
  if (o.format_options.include_code && sample.code.empty())
    return "no code kept with it";
  if (static_cast<int>(sample.answer.size()) < s.min_answer_chars)
    return fmt::format("answer shorter than {} characters", s.min_answer_chars);
  return "";
}

// `e` as a view of `r`, with `flags` and `origin` (which must outlive `e`'s use) as its quality
// flags and where it comes from.
void fill_export(const store::SampleRecord& r, const std::string& flags, const Provenance& origin,
                 ExportSample& e) {
  e.id = r.id;
  e.question = r.question;
  e.answer = r.answer;
  e.code = r.code;
  e.file_path = origin.path;
  e.language = r.language;
  e.scope = r.scope;
  e.line_start = r.line_start;
  e.line_end = r.line_end;
  e.repo_url = origin.repository;
  e.commit_sha = r.commit_sha;
  e.file_hash = r.file_hash;
  e.model = r.model_used;
  e.prompt_version = r.prompt_version;
  e.settings_fingerprint = r.settings_fingerprint;
  e.quality_flags = flags;
  e.grounding = r.grounding;
  e.created_at = r.created_at;
}

// FNV-1a, 64 bits, then splitmix64's finaliser (FNV alone leaves the top bits of similar keys
// alike): stable across machines, runs and standard libraries, which std::hash is not.
std::uint64_t stable_hash(std::string_view text) {
  return mix64(fnv1a64(text));
}

// Counts a written sample in the summary.
void count_written(ExportSummary& summary, const store::SampleRecord& s, const Provenance& origin) {
  ++summary.repositories[origin.repository];
  ++summary.languages[s.language];
  ++summary.models[s.model_used];
  ++summary.prompt_versions[s.prompt_version];
  ++summary.settings[s.settings_fingerprint];
  summary.repository_folders.try_emplace(origin.repository, s.repo);
}

// The dataset card beside the output, with each written repository's licence.
Status write_card(const ExportOptions& options, ExportSummary& summary) {
  std::map<std::string, Licence> licences;
  if (!options.repos_dir.empty())
    for (const auto& [url, folder] : summary.repository_folders)
      if (!folder.empty())
        licences[url] = detect_licence(options.repos_dir / folder);
  summary.card_path = card_path_for(options.output);
  auto card = OutputFile::create(summary.card_path, Origin::derived);
  if (!card)
    return tl::unexpected(card.error());
  card->write(render_card(options, summary, licences) + "\n");
  if (auto done = card->finish(); !done)
    return done;
  return card->publish();
}

}  // namespace

std::vector<quality::Flag> flags_of(const Selection& selection, const store::SampleRecord& s) {
  auto flags = quality::split_flags(s.quality_flags);
  if (s.grounding && *s.grounding < selection.min_grounding)
    flags.push_back(quality::Flag::ungrounded);
  if (s.duplicate_of != 0)
    flags.push_back(quality::Flag::duplicate);
  if (s.near_duplicate_of != 0 &&
      s.near_duplicate_similarity >= selection.near_duplicate_similarity)
    flags.push_back(quality::Flag::near_duplicate);
  // Also for samples stored before a flag was measured at store time, or under older rules.
  const auto from_text = quality::text_flags(s.question, s.answer, s.code);
  flags.insert(flags.end(), from_text.begin(), from_text.end());
  std::sort(flags.begin(), flags.end());
  flags.erase(std::unique(flags.begin(), flags.end()), flags.end());
  return flags;
}

fs::path validation_path_for(const fs::path& output) {
  fs::path p = output;
  p.replace_filename(output.stem().string() + ".validation" + output.extension().string());
  return p;
}

bool in_validation(std::string_view key, double fraction) {
  if (fraction <= 0)
    return false;
  // The top 53 bits as a number in [0, 1).
  double x = static_cast<double>(stable_hash(key) >> 11) / static_cast<double>(1ULL << 53);
  return x < fraction;
}

Result<ExportSummary> export_dataset(store::Store& store, const ExportOptions& options,
                                     std::ostream& stdout_stream) {
  if (options.validation_fraction < 0 || options.validation_fraction >= 1) {
    return fail(ErrorKind::invalid_argument,
                "the validation fraction must be at least 0 and below 1 (got {})",
                options.validation_fraction);
  }
  const bool to_stdout = options.output == "-";
  const bool split = options.validation_fraction > 0;
  if (to_stdout && split) {
    return fail(ErrorKind::invalid_argument,
                "a validation split needs files: give --output a path instead of -");
  }
  ExportSummary summary;
  summary.streamed = to_stdout;
  std::optional<OutputFile> train;
  std::optional<OutputFile> validation;
  if (!to_stdout) {
    // Decided before anything is opened (a FIFO's open waits for its reader).
    auto mode = output_mode(options.output);
    if (!mode)
      return tl::unexpected(mode.error());
    if (split && *mode == WriteMode::stream) {
      return fail(ErrorKind::invalid_argument,
                  "a validation split needs files: {} is a device or a FIFO, written as a stream",
                  options.output.string());
    }
    auto t = OutputFile::create(options.output);
    if (!t)
      return tl::unexpected(t.error());
    train.emplace(std::move(*t));
    summary.train_path = options.output;
    summary.streamed = train->mode() == WriteMode::stream;
    if (split) {
      auto v = OutputFile::create(validation_path_for(options.output), Origin::derived);
      if (!v)
        return tl::unexpected(v.error());
      validation.emplace(std::move(*v));
      summary.validation_path = validation->target();
    }
  }
  ExportSample row;
  std::string flag_list;
  std::string line;      // reused from one sample to the next
  std::string texts[2];  // without_clone_folder's, reused too
  auto st = store.for_each_sample([&](const store::SampleRecord& sample) -> Status {
    ++summary.considered;
    auto flags = flags_of(options.selection, sample);
    for (quality::Flag flag : flags)
      ++summary.flagged[std::string(quality::to_string(flag))];
    const Provenance origin = provenance_of(sample);
    if (auto why = reason_to_leave_out(options, sample, origin, flags); !why.empty()) {
      ++summary.removed[why];
      return {};
    }
    count_written(summary, sample, origin);
    flag_list = quality::join_flags(flags);
    fill_export(sample, flag_list, origin, row);
    row.question = without_clone_folder(sample.question, sample, origin.repository, texts[0]);
    row.answer = without_clone_folder(sample.answer, sample, origin.repository, texts[1]);
    line.clear();
    append_line(line, options.format, row, options.format_options);
    line += '\n';
    // By the published repository, so an earlier version's samples of a repository share its
    // file; by the stored path, unique across repositories.
    const std::string& key =
        options.split_by == SplitBy::repository ? origin.repository : sample.file_path;
    if (split && in_validation(key, options.validation_fraction)) {
      if (!validation->write(line))
        return validation->finish();  // says why
      ++summary.validation;
      return {};
    }
    if (to_stdout) {
      stdout_stream << line;
      if (!stdout_stream)
        return fail(ErrorKind::io, "cannot write the dataset to standard output");
    } else if (!train->write(line)) {
      return train->finish();  // says why
    }
    ++summary.train;
    return {};
  });
  if (!st)
    return tl::unexpected(st.error());  // the temporary files go; earlier datasets stay
  if (to_stdout) {
    if (!stdout_stream.flush())
      return fail(ErrorKind::io, "cannot write the dataset to standard output");
    return summary;
  }
  // Both files are on disk before either replaces an earlier one, so a failure never leaves a
  // new training file beside an old validation file (whose split would differ).
  if (auto done = train->finish(); !done)
    return tl::unexpected(done.error());
  if (validation)
    if (auto done = validation->finish(); !done)
      return tl::unexpected(done.error());
  if (auto published = train->publish(); !published)
    return tl::unexpected(published.error());
  if (validation)
    if (auto published = validation->publish(); !published)
      return tl::unexpected(published.error());
  // A card describes files published together; a stream has no folder to put it beside.
  if (options.card && train->mode() == WriteMode::replace)
    if (auto written = write_card(options, summary); !written)
      return tl::unexpected(written.error());
  return summary;
}

}  // namespace g2d::dataset
