#include "sys/resources.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>
#include <unistd.h>

#include "core/enum_names.hpp"

#ifdef __APPLE__
#include <CoreFoundation/CoreFoundation.h>
#include <IOKit/ps/IOPSKeys.h>
#include <IOKit/ps/IOPowerSources.h>
#include <mach/mach.h>
#include <sys/sysctl.h>
#endif

namespace g2d::sys {

constexpr auto k_battery_status_names = enum_names<BatteryStatus>({
    {BatteryStatus::charging, "charging"},
    {BatteryStatus::discharging, "discharging"},
    {BatteryStatus::full, "full"},
    {BatteryStatus::not_charging, "not charging"},
    {BatteryStatus::unknown, "unknown"},
});

std::string_view to_string(BatteryStatus status) {
  return name_of(k_battery_status_names, status, "unknown");
}

namespace {

// The power state from what each battery and adapter said; shared by both platforms.
struct PowerParts {
  int batteries = 0;
  int percent_sum = 0;
  int percent_count = 0;
  bool any_discharging = false;
  bool any_charging = false;
  bool all_full = true;
  bool any_not_charging = false;
  int adapters = 0;
  bool any_adapter_online = false;
};

PowerReading combine(const PowerParts& p) {
  PowerReading r;
  r.has_battery = p.batteries > 0;
  if (p.percent_count > 0)
    r.battery_percent = p.percent_sum / p.percent_count;
  if (p.adapters > 0)
    r.on_ac = p.any_adapter_online;
  if (!r.has_battery)
    return r;
  if (p.any_discharging)
    r.status = BatteryStatus::discharging;
  else if (p.any_charging)
    r.status = BatteryStatus::charging;
  else if (p.any_not_charging)
    r.status = BatteryStatus::not_charging;
  else if (p.all_full)
    r.status = BatteryStatus::full;
  // An online adapter wins over a battery that says it discharges (some firmware reports that for
  // a moment after plugging in); without any adapter, the battery's own word decides.
  if (r.on_ac)
    r.on_battery = !*r.on_ac;
  else
    r.on_battery = r.status == BatteryStatus::discharging;
  return r;
}

#ifndef __APPLE__

// A small pseudo-file's content, or nothing when it cannot be read.
std::optional<std::string> slurp(const std::filesystem::path& path, size_t max_bytes = 4096) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return std::nullopt;
  std::string content(max_bytes, '\0');
  in.read(content.data(), static_cast<std::streamsize>(content.size()));
  if (in.bad())
    return std::nullopt;
  content.resize(static_cast<size_t>(in.gcount()));
  return content;
}

std::string trimmed(std::string s) {
  auto not_space = [](unsigned char c) { return c != ' ' && c != '\n' && c != '\t' && c != '\r'; };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

// A whole non-negative decimal number, nothing else.
std::optional<std::uint64_t> parse_u64(std::string_view s) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty())
    return std::nullopt;
  return v;
}

std::optional<std::uint64_t> page_size() {
  long size = sysconf(_SC_PAGESIZE);
  return size > 0 ? std::optional<std::uint64_t>(static_cast<std::uint64_t>(size)) : std::nullopt;
}

// "MemAvailable:    1234 kB" → bytes.
std::optional<std::uint64_t> meminfo_field(const std::string& meminfo, std::string_view key) {
  std::istringstream lines(meminfo);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.size() <= key.size() || line.compare(0, key.size(), key) != 0 ||
        line[key.size()] != ':')
      continue;
    std::istringstream fields(line.substr(key.size() + 1));
    std::string number;
    std::string unit;
    fields >> number >> unit;
    auto value = parse_u64(number);
    if (!value)
      return std::nullopt;
    if (unit.empty())
      return value;
    if (unit != "kB" || *value > UINT64_MAX / 1024)
      return std::nullopt;
    return *value * 1024;
  }
  return std::nullopt;
}

#endif

}  // namespace

#ifndef __APPLE__

std::optional<std::uint64_t> process_rss_bytes(const ProbeRoots& roots) {
  // statm: size resident shared text lib data dt, in pages.
  auto statm = slurp(roots.proc / "self/statm");
  auto page = page_size();
  if (!statm || !page)
    return std::nullopt;
  std::istringstream fields(*statm);
  std::string size;
  std::string resident;
  std::string shared;
  if (!(fields >> size >> resident >> shared) || !parse_u64(size))
    return std::nullopt;
  auto pages = parse_u64(resident);
  auto file_pages = parse_u64(shared);
  if (!pages || !file_pages || *file_pages > *pages || *pages > UINT64_MAX / *page)
    return std::nullopt;
  return (*pages - *file_pages) * *page;
}

MemoryReading memory_reading(const ProbeRoots& roots) {
  MemoryReading r;
  auto meminfo = slurp(roots.proc / "meminfo");
  if (!meminfo)
    return r;
  r.available_bytes = meminfo_field(*meminfo, "MemAvailable");
  r.total_bytes = meminfo_field(*meminfo, "MemTotal");
  return r;
}

PowerReading power_reading(const ProbeRoots& roots) {
  PowerParts parts;
  std::error_code ec;
  std::filesystem::directory_iterator it(roots.sys / "class/power_supply", ec);
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    const auto dir = it->path();
    auto read = [&dir](const char* name) { return trimmed(slurp(dir / name).value_or("")); };
    std::string type = read("type");
    if (type == "Battery") {
      if (read("scope") == "Device")
        continue;  // a wireless mouse's or keyboard's battery, not the machine's
      ++parts.batteries;
      if (auto capacity = parse_u64(read("capacity")); capacity && *capacity <= 100) {
        parts.percent_sum += static_cast<int>(*capacity);
        ++parts.percent_count;
      }
      std::string status = read("status");
      parts.any_discharging |= status == "Discharging";
      parts.any_charging |= status == "Charging";
      parts.any_not_charging |= status == "Not charging";
      parts.all_full &= status == "Full";
    } else if (type == "Mains" || type == "USB") {
      std::string online = read("online");
      if (online == "0" || online == "1") {
        ++parts.adapters;
        parts.any_adapter_online |= online == "1";
      }
    }
  }
  return combine(parts);
}

#else  // __APPLE__

std::optional<std::uint64_t> process_rss_bytes(const ProbeRoots& /*roots*/) {
  mach_task_basic_info_data_t info{};
  mach_msg_type_number_t count = MACH_TASK_BASIC_INFO_COUNT;
  if (task_info(mach_task_self(), MACH_TASK_BASIC_INFO, reinterpret_cast<task_info_t>(&info),
                &count) != KERN_SUCCESS)
    return std::nullopt;
  return static_cast<std::uint64_t>(info.resident_size);
}

MemoryReading memory_reading(const ProbeRoots& /*roots*/) {
  MemoryReading r;
  std::uint64_t total = 0;
  size_t size = sizeof total;
  if (sysctlbyname("hw.memsize", &total, &size, nullptr, 0) == 0)
    r.total_bytes = total;
  mach_port_t host = mach_host_self();
  vm_size_t page = 0;
  vm_statistics64_data_t vm{};
  mach_msg_type_number_t count = HOST_VM_INFO64_COUNT;
  // Free pages (speculative ones included) and inactive ones, which the kernel reclaims first.
  if (host_page_size(host, &page) == KERN_SUCCESS &&
      host_statistics64(host, HOST_VM_INFO64, reinterpret_cast<host_info64_t>(&vm), &count) ==
          KERN_SUCCESS)
    r.available_bytes = (static_cast<std::uint64_t>(vm.free_count) + vm.inactive_count) *
                        static_cast<std::uint64_t>(page);
  mach_port_deallocate(mach_task_self(), host);
  return r;
}

PowerReading power_reading(const ProbeRoots& /*roots*/) {
  PowerParts parts;
  CFTypeRef info = IOPSCopyPowerSourcesInfo();
  if (info == nullptr)
    return combine(parts);
  CFArrayRef list = IOPSCopyPowerSourcesList(info);
  for (CFIndex i = 0; list != nullptr && i < CFArrayGetCount(list); ++i) {
    CFDictionaryRef d = IOPSGetPowerSourceDescription(info, CFArrayGetValueAtIndex(list, i));
    if (d == nullptr)
      continue;
    auto type = static_cast<CFStringRef>(CFDictionaryGetValue(d, CFSTR(kIOPSTypeKey)));
    if (type == nullptr || CFStringCompare(type, CFSTR(kIOPSInternalBatteryType), 0) != 0)
      continue;
    ++parts.batteries;
    int current = 0;
    int max = 0;
    auto current_ref =
        static_cast<CFNumberRef>(CFDictionaryGetValue(d, CFSTR(kIOPSCurrentCapacityKey)));
    auto max_ref = static_cast<CFNumberRef>(CFDictionaryGetValue(d, CFSTR(kIOPSMaxCapacityKey)));
    if (current_ref != nullptr && max_ref != nullptr &&
        CFNumberGetValue(current_ref, kCFNumberIntType, &current) &&
        CFNumberGetValue(max_ref, kCFNumberIntType, &max) && max > 0 && current >= 0) {
      parts.percent_sum += std::min(100, current * 100 / max);
      ++parts.percent_count;
    }
    auto state = static_cast<CFStringRef>(CFDictionaryGetValue(d, CFSTR(kIOPSPowerSourceStateKey)));
    bool on_ac = state != nullptr && CFStringCompare(state, CFSTR(kIOPSACPowerValue), 0) == 0;
    if (state != nullptr) {
      ++parts.adapters;
      parts.any_adapter_online |= on_ac;
    }
    auto charging = static_cast<CFBooleanRef>(CFDictionaryGetValue(d, CFSTR(kIOPSIsChargingKey)));
    auto charged = static_cast<CFBooleanRef>(CFDictionaryGetValue(d, CFSTR(kIOPSIsChargedKey)));
    bool is_charging = charging != nullptr && CFBooleanGetValue(charging);
    bool is_full = charged != nullptr && CFBooleanGetValue(charged);
    parts.any_charging |= is_charging;
    parts.any_discharging |= !on_ac && state != nullptr;
    parts.any_not_charging |= on_ac && !is_charging && !is_full;
    parts.all_full &= is_full;
  }
  if (list != nullptr)
    CFRelease(list);
  CFRelease(info);
  return combine(parts);
}

#endif

#ifndef __APPLE__

std::optional<CpuTimes> cpu_times(const ProbeRoots& roots) {
  // A line per CPU besides the total: 1 MiB holds thousands of them.
  auto stat = slurp(roots.proc / "stat", 1 << 20);
  if (!stat)
    return std::nullopt;
  std::istringstream lines(*stat);
  std::optional<CpuTimes> times;
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("cpu ")) {
      std::istringstream fields(line.substr(4));
      std::uint64_t v[8] = {};  // user nice system idle iowait irq softirq steal
      int n = 0;
      for (std::string field; n < 8 && fields >> field; ++n) {
        auto value = parse_u64(field);
        if (!value)
          return std::nullopt;
        v[n] = *value;
      }
      if (n < 5)
        return std::nullopt;
      CpuTimes t;
      t.busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
      t.total = t.busy + v[3] + v[4];
      times = t;
    } else if (times && line.starts_with("cpu") && line.size() > 3 &&
               std::isdigit(static_cast<unsigned char>(line[3])) != 0) {
      ++times->cpus;
    }
  }
  if (times && times->cpus == 0)
    return std::nullopt;
  return times;
}

#else  // __APPLE__

std::optional<CpuTimes> cpu_times(const ProbeRoots& /*roots*/) {
  return std::nullopt;  // host_processor_info would tell; not needed where Metal does the work
}

#endif

std::optional<double> busy_cores(const CpuTimes& before, const CpuTimes& after) {
  if (after.total <= before.total || after.busy < before.busy || after.cpus <= 0)
    return std::nullopt;
  return static_cast<double>(after.busy - before.busy) /
         static_cast<double>(after.total - before.total) * after.cpus;
}

int engine_threads(int configured, std::optional<double> busy, int cpus) {
  if (configured > 0)
    return configured;
  if (!busy || cpus <= 0)
    return 0;
  int taken = static_cast<int>(std::lround(*busy));
  return std::max(1, cpus - taken);
}

ResourceReadings read_resources(const ProbeRoots& roots) {
  ResourceReadings r;
  r.process_rss_bytes = process_rss_bytes(roots);
  r.memory = memory_reading(roots);
  r.power = power_reading(roots);
  return r;
}

}  // namespace g2d::sys
