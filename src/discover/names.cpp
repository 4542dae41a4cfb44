// What a file's name says before it is opened: its language, whether it holds secrets by its
// nature, and the names of the skip reasons. Pure functions of their arguments: reentrant, no
// errors (an unknown name has no language and is not sensitive).
#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/enum_names.hpp"
#include "core/text.hpp"
#include "discover/discover.hpp"
#include "discover/discover_internal.hpp"

namespace g2d::discover {

constexpr auto k_skip_reason_names = enum_names<SkipReason>({
    {SkipReason::bad_name, "bad_name"},
    {SkipReason::sensitive, "sensitive"},
    {SkipReason::not_source, "not_source"},
    {SkipReason::ignore_pattern, "ignore_pattern"},
    {SkipReason::gitignored, "gitignored"},
    {SkipReason::generated, "generated"},
    {SkipReason::vendored, "vendored"},
    {SkipReason::symlink, "symlink"},
    {SkipReason::symlink_outside, "symlink_outside"},
    {SkipReason::symlink_broken, "symlink_broken"},
    {SkipReason::nested_repo, "nested_repo"},
    {SkipReason::too_large, "too_large"},
    {SkipReason::binary, "binary"},
    {SkipReason::not_utf8, "not_utf8"},
    {SkipReason::minified, "minified"},
    {SkipReason::unreadable, "unreadable"},
});

std::string_view to_string(SkipReason reason) {
  return name_of(k_skip_reason_names, reason, "unknown");
}

namespace detail {

bool ends_with_ci(std::string_view text, std::string_view suffix) {
  if (suffix.size() > text.size())
    return false;
  auto tail = text.substr(text.size() - suffix.size());
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return std::equal(tail.begin(), tail.end(), suffix.begin(), suffix.end(),
                    [&](char a, char b) { return lower(a) == lower(b); });
}

std::optional<std::string_view> sensitive_kind(std::string_view name, std::string_view path) {
  std::string lower = to_lower(name);
  std::string_view n = lower;
  if (n.starts_with(".env") || n.ends_with(".env"))
    return "environment file";
  for (std::string_view key : {"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"})
    if (n.starts_with(key))
      return "ssh key";
  for (std::string_view exact :
       {".netrc", "_netrc", ".npmrc", ".pypirc", ".git-credentials", ".htpasswd", ".pgpass",
        "credentials", "credentials.json", "credentials.xml", ".dockercfg", "secrets.yml",
        "secrets.yaml", "secrets.json", "service-account.json", ".s3cfg", "terraform.tfstate",
        "terraform.tfvars"})
    if (n == exact)
      return "credential store";
  for (std::string_view ext :
       {".pem", ".key", ".p12", ".pfx", ".p8", ".jks", ".keystore", ".kdbx", ".ppk", ".gpg", ".asc",
        ".crt", ".cer", ".der", ".p7b", ".tfstate", ".tfvars"})
    if (n.size() > ext.size() && n.ends_with(ext))
      return "key or certificate";
  std::string lower_path = to_lower(path);
  for (std::string_view tail : {".docker/config.json", ".kube/config", ".aws/config"})
    if (lower_path == tail || (lower_path.size() > tail.size() && lower_path.ends_with(tail) &&
                               lower_path[lower_path.size() - tail.size() - 1] == '/'))
      return "credential store";
  return std::nullopt;
}

}  // namespace detail

namespace {

std::string_view base_name(std::string_view path) {
  auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

std::string language_of(std::string_view path) {
  std::string_view name = base_name(path);
  static const std::pair<std::string_view, std::string_view> names[] = {
      {"Dockerfile", "dockerfile"}, {"Makefile", "makefile"}, {"GNUmakefile", "makefile"},
      {"CMakeLists.txt", "cmake"},  {"Rakefile", "ruby"},     {"Gemfile", "ruby"},
      {"Jenkinsfile", "groovy"},    {"Vagrantfile", "ruby"},  {"BUILD", "starlark"},
      {"WORKSPACE", "starlark"},    {"meson.build", "meson"}, {"Justfile", "just"},
  };
  for (const auto& [n, lang] : names)
    if (name == n)
      return std::string(lang);
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0)
    return "";
  std::string ext = to_lower(name.substr(dot + 1));
  static const std::pair<std::string_view, std::string_view> exts[] = {
      {"py", "python"},
      {"pyi", "python"},
      {"js", "javascript"},
      {"mjs", "javascript"},
      {"cjs", "javascript"},
      {"jsx", "javascript"},
      {"ts", "typescript"},
      {"tsx", "typescript"},
      {"mts", "typescript"},
      {"cts", "typescript"},
      {"go", "go"},
      {"rs", "rust"},
      {"java", "java"},
      {"c", "c"},
      {"h", "c"},
      {"cc", "cpp"},
      {"cpp", "cpp"},
      {"cxx", "cpp"},
      {"c++", "cpp"},
      {"hh", "cpp"},
      {"hpp", "cpp"},
      {"hxx", "cpp"},
      {"h++", "cpp"},
      {"ipp", "cpp"},
      {"cs", "csharp"},
      {"rb", "ruby"},
      {"php", "php"},
      {"kt", "kotlin"},
      {"kts", "kotlin"},
      {"swift", "swift"},
      {"scala", "scala"},
      {"sh", "shell"},
      {"bash", "shell"},
      {"zsh", "shell"},
      {"lua", "lua"},
      {"m", "objective-c"},
      {"mm", "objective-cpp"},
      {"zig", "zig"},
      {"hs", "haskell"},
      {"ml", "ocaml"},
      {"mli", "ocaml"},
      {"ex", "elixir"},
      {"exs", "elixir"},
      {"erl", "erlang"},
      {"clj", "clojure"},
      {"sql", "sql"},
      {"r", "r"},
      {"dart", "dart"},
      {"jl", "julia"},
      {"vue", "vue"},
      {"svelte", "svelte"},
      {"cmake", "cmake"},
      {"proto", "protobuf"},
      {"nim", "nim"},
      {"v", "verilog"},
      {"sv", "systemverilog"},
      {"vhd", "vhdl"},
      {"f90", "fortran"},
      {"pl", "perl"},
      {"pm", "perl"},
      {"groovy", "groovy"},
      {"gradle", "groovy"},
      {"tf", "terraform"},
      {"cu", "cuda"},
  };
  for (const auto& [e, lang] : exts)
    if (ext == e)
      return std::string(lang);
  return "";
}

}  // namespace g2d::discover
