#include "pipeline/plan.hpp"

#include <algorithm>
#include <array>

#include "core/enum_names.hpp"
#include "sys/sha256.hpp"

namespace g2d::pipeline {

constexpr auto k_change_names = enum_names<Change>({
    {Change::new_file, "new"},
    {Change::changed, "changed"},
    {Change::unchanged, "unchanged"},
    {Change::retry, "retry"},
    {Change::deleted, "deleted"},
});

std::string_view to_string(Change change) {
  return name_of(k_change_names, change, "unknown");
}

std::string settings_fingerprint(const Settings& settings) {
  // Length-prefixed fields: no two different settings serialise alike.
  std::string text;
  auto field = [&text](std::string_view name, std::string_view value) {
    text += name;
    text += '=';
    text += std::to_string(value.size());
    text += ':';
    text += value;
    text += '\n';
  };
  field("model", settings.model);
  field("prompt_version", settings.prompt_version);
  field("questions_per_file", std::to_string(settings.questions_per_file));
  return sys::sha256_hex(text);
}

Change classify(const discover::SourceFile& file, const store::FileRecord* record,
                std::string_view fingerprint, std::string* why) {
  auto say = [why](std::string text) {
    if (why != nullptr)
      *why = std::move(text);
  };
  if (record == nullptr || record->status == store::FileStatus::retired)
    return Change::new_file;
  if (record->file_hash != file.sha256) {
    say("content changed");
    return Change::changed;
  }
  if (record->status != store::FileStatus::done) {
    say(record->status == store::FileStatus::failed ? "failed before" : "interrupted before");
    return Change::retry;
  }
  if (record->settings_fingerprint != fingerprint) {
    say("generation settings changed");
    return Change::changed;
  }
  return Change::unchanged;
}

Result<Plan> make_plan(store::Store* store, std::vector<DiscoveredRepo> repos,
                       std::string_view fingerprint) {
  Plan plan;
  // Stored paths discovery could not judge (a directory it could not list, a file it could not
  // read) are kept as they are: an I/O error must never retire finished work.
  std::vector<std::string> unjudged_prefixes;
  std::vector<std::string> unjudged_files;
  for (auto& repo : repos) {
    for (auto& prefix : repo.repository.unwalked)
      unjudged_prefixes.push_back(std::move(prefix));
    for (const auto& s : repo.repository.skipped)
      if (s.reason == discover::SkipReason::unreadable)
        unjudged_files.push_back(s.file_path);
    for (auto& f : repo.repository.files)
      plan.files.push_back({std::move(f), repo.commit, Change::new_file, {}});
    for (auto& s : repo.repository.skipped) {
      ++plan.skip_counts[s.reason];
      plan.skipped.push_back(std::move(s));
    }
  }
  auto by_path = [](const auto& a, const auto& b) { return a.file.file_path < b.file.file_path; };
  std::sort(plan.files.begin(), plan.files.end(), by_path);
  std::sort(plan.skipped.begin(), plan.skipped.end(),
            [](const auto& a, const auto& b) { return a.file_path < b.file_path; });
  std::sort(unjudged_files.begin(), unjudged_files.end());
  auto unjudged = [&](const std::string& path) {
    if (std::binary_search(unjudged_files.begin(), unjudged_files.end(), path))
      return true;
    return std::any_of(unjudged_prefixes.begin(), unjudged_prefixes.end(),
                       [&](const std::string& prefix) { return path.starts_with(prefix); });
  };

  auto finish = [&plan] {
    for (const auto& f : plan.files)
      ++plan.changes[static_cast<size_t>(f.change)];
    plan.changes[static_cast<size_t>(Change::deleted)] =
        static_cast<std::int64_t>(plan.deleted.size());
  };
  if (store == nullptr) {
    finish();
    return plan;
  }
  // Both sides are in file_path order: one merge pass, streaming the store's records.
  size_t next = 0;
  std::string previous;
  auto status = store->for_each_file([&](const store::FileRecord& record) -> Status {
    if (!previous.empty() && record.file_path <= previous) {
      return fail(ErrorKind::store,
                  "the store listed file paths out of byte order (\"{}\" after "
                  "\"{}\"); change detection needs byte-wise (C) collation",
                  record.file_path, previous);
    }
    previous = record.file_path;
    while (next < plan.files.size() && plan.files[next].file.file_path < record.file_path)
      ++next;  // not in the store: stays new
    if (next < plan.files.size() && plan.files[next].file.file_path == record.file_path) {
      auto& planned = plan.files[next++];
      planned.change = classify(planned.file, &record, fingerprint, &planned.why);
    } else if (record.status != store::FileStatus::retired && !unjudged(record.file_path)) {
      plan.deleted.push_back(record.file_path);
    }
    return {};
  });
  if (!status)
    return tl::unexpected(status.error());

  bool any_retry = std::any_of(plan.files.begin(), plan.files.end(),
                               [](const PlannedFile& f) { return f.change == Change::retry; });
  if (any_retry) {
    auto failed = store->failed_files();
    if (!failed)
      return tl::unexpected(failed.error());
    for (auto& f : plan.files) {
      if (f.change != Change::retry)
        continue;
      auto it = std::lower_bound(
          failed->begin(), failed->end(), f.file.file_path,
          [](const store::FailedRecord& r, const std::string& path) { return r.file_path < path; });
      if (it != failed->end() && it->file_path == f.file.file_path)
        f.why = "failed " + std::to_string(it->retry_count) + "x, last: " + it->error_kind + ": " +
                it->error_message;
    }
  }
  finish();
  return plan;
}

}  // namespace g2d::pipeline
