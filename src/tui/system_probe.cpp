#include "tui/system_probe.hpp"

#include <charconv>
#include <fstream>
#include <sstream>

#ifdef __APPLE__
#include <mach/mach.h>
#endif

#include "sys/process.hpp"

namespace g2d::tui {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// A number, "[N/A]"-like text (nullopt inside), or failure (nullopt outside).
std::optional<std::optional<double>> field(std::string_view s) {
  s = trim(s);
  if (s.starts_with("[") || s == "N/A")
    return std::optional<double>();
  double value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty())
    return std::nullopt;
  return std::optional<double>(value);
}

std::optional<std::uint64_t> mib(const std::optional<double>& v) {
  if (!v || *v < 0)
    return std::nullopt;
  return static_cast<std::uint64_t>(*v * 1024.0 * 1024.0);
}

}  // namespace

std::optional<CpuTimes> parse_proc_stat(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    if (!line.starts_with("cpu "))
      continue;
    std::istringstream fields(line.substr(4));
    std::vector<std::uint64_t> v;
    std::uint64_t n = 0;
    while (fields >> n)
      v.push_back(n);
    // user nice system idle iowait irq softirq steal [guest guest_nice: counted in user, nice]
    if (v.size() < 4)
      return std::nullopt;
    CpuTimes t;
    for (size_t i = 0; i < v.size() && i < 8; ++i)
      t.total += v[i];
    std::uint64_t idle = v[3] + (v.size() > 4 ? v[4] : 0);
    t.busy = t.total - idle;
    return t;
  }
  return std::nullopt;
}

std::optional<CpuTimes> read_cpu_times(const sys::ProbeRoots& roots) {
#ifdef __APPLE__
  (void)roots;
  host_cpu_load_info_data_t info{};
  mach_msg_type_number_t count = HOST_CPU_LOAD_INFO_COUNT;
  if (host_statistics(mach_host_self(), HOST_CPU_LOAD_INFO, reinterpret_cast<host_info_t>(&info),
                      &count) != KERN_SUCCESS)
    return std::nullopt;
  CpuTimes t;
  for (int i = 0; i < CPU_STATE_MAX; ++i)
    t.total += info.cpu_ticks[i];
  t.busy = t.total - info.cpu_ticks[CPU_STATE_IDLE];
  return t;
#else
  std::ifstream in(roots.proc / "stat");
  if (!in)
    return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  return parse_proc_stat(text.str());
#endif
}

std::optional<double> CpuMeter::sample() {
  auto now = read_cpu_times(m_roots);
  auto last = m_last;
  m_last = now;
  if (!now || !last || now->total <= last->total || now->busy < last->busy)
    return std::nullopt;
  return 100.0 * static_cast<double>(now->busy - last->busy) /
         static_cast<double>(now->total - last->total);
}

std::optional<std::vector<GpuReading>> parse_nvidia_smi(std::string_view output) {
  std::vector<GpuReading> gpus;
  while (!output.empty()) {
    auto nl = output.find('\n');
    std::string_view line = trim(output.substr(0, nl));
    output = nl == std::string_view::npos ? std::string_view() : output.substr(nl + 1);
    if (line.empty())
      continue;
    std::vector<std::string_view> parts;
    while (true) {
      auto comma = line.find(',');
      parts.push_back(line.substr(0, comma));
      if (comma == std::string_view::npos)
        break;
      line = line.substr(comma + 1);
    }
    if (parts.size() != 3)
      return std::nullopt;
    auto load = field(parts[0]);
    auto used = field(parts[1]);
    auto total = field(parts[2]);
    if (!load || !used || !total)
      return std::nullopt;
    gpus.push_back(GpuReading{*load, mib(*used), mib(*total)});
  }
  return gpus;
}

const std::vector<GpuReading>& GpuProbe::poll(std::chrono::steady_clock::time_point now) {
  if (m_missing || (m_last_run && now - *m_last_run < m_options.interval))
    return m_gpus;
  m_last_run = now;
  ++m_runs;
  sys::ProcessOptions options;
  options.timeout = m_options.timeout;
  options.max_output = size_t{64} * 1024;
  auto result = sys::run_process(m_options.command, options);
  m_gpus.clear();
  if (!result) {
    if (result.error().kind == ErrorKind::not_found) {
      m_missing = true;  // not installed: never looked for again
      m_note = m_options.command.front() + " not found";
    } else {
      m_note = m_options.command.front() + ": " + std::string(to_string(result.error().kind));
    }
    return m_gpus;
  }
  if (result->exit_code != 0) {
    std::string first = result->output.substr(0, result->output.find('\n'));
    m_note = m_options.command.front() + " failed" + (first.empty() ? "" : ": " + first);
    return m_gpus;
  }
  auto parsed = parse_nvidia_smi(result->output);
  if (!parsed) {
    m_note = "unreadable " + m_options.command.front() + " output";
    return m_gpus;
  }
  m_gpus = std::move(*parsed);
  m_note = m_gpus.empty() ? "no GPU listed" : "";
  return m_gpus;
}

}  // namespace g2d::tui
