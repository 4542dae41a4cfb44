#include "llm/router.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace g2d::llm {

namespace {

using Clock = std::chrono::steady_clock;

enum class State { starting, up, down };

std::string_view state_name(State s) {
  switch (s) {
    case State::starting:
      return "starting";
    case State::up:
      return "up";
    case State::down:
      return "down";
  }
  return "down";
}

bool is_transient(ErrorKind kind) {
  return kind == ErrorKind::unavailable || kind == ErrorKind::timeout;
}

class Router final : public Backend {
 public:
  Router(std::vector<RoutedServer> servers, RouterOptions options) : m_options(options) {
    for (auto& s : servers) {
      Server server;
      server.parallel = std::max(1, s.parallel);
      server.weight = std::max(1, s.weight);
      server.routed = std::move(s);
      m_servers.push_back(std::move(server));
    }
    m_prober = std::jthread([this](const std::stop_token& stop) { probe_loop(stop); });
  }

  std::string_view name() const override {
    return m_servers.empty() ? std::string_view("router")
                             : m_servers.front().routed.backend->name();
  }

  // Every server at once; those that do not answer are out (and probed), the others must agree
  // on the model unless mixed models are allowed.
  Result<ModelInfo> model_info() override {
    std::lock_guard once(m_info_mutex);
    {
      std::lock_guard lock(m_mutex);
      if (m_info)
        return *m_info;
    }
    std::vector<std::future<Result<ModelInfo>>> asked;
    asked.reserve(m_servers.size());
    for (auto& s : m_servers)
      asked.push_back(
          std::async(std::launch::async, [&s] { return s.routed.backend->model_info(); }));
    std::vector<Result<ModelInfo>> answers;
    answers.reserve(asked.size());
    for (auto& a : asked)
      answers.push_back(a.get());

    std::vector<std::string> failures;
    std::vector<std::string> models;
    std::vector<std::string> named;  // "server: model"
    ModelInfo info;
    info.structured_output = true;
    for (std::size_t i = 0; i < answers.size(); ++i) {
      const auto& a = answers[i];
      const std::string& name = m_servers[i].routed.name;
      if (!a) {
        failures.push_back(fmt::format("{}: {}", name, a.error().message));
        continue;
      }
      if (std::find(models.begin(), models.end(), a->name) == models.end())
        models.push_back(a->name);
      named.push_back(fmt::format("{}: {}", name, a->name));
      info.context_length = info.context_length == 0
                                ? a->context_length
                                : std::min(info.context_length, a->context_length);
      if (a->trained_context_length > 0)
        info.trained_context_length =
            info.trained_context_length == 0
                ? a->trained_context_length
                : std::min(info.trained_context_length, a->trained_context_length);
      info.structured_output = info.structured_output && a->structured_output;
    }
    if (models.empty())
      return fail(ErrorKind::unavailable, "no server is up: {}", fmt::join(failures, "; "));
    if (models.size() > 1 && !m_options.allow_mixed_models)
      return fail(ErrorKind::rejected,
                  "the servers serve different models ({}); set llm.allow_mixed_models: true to "
                  "use them together",
                  fmt::join(named, "; "));
    info.name = fmt::format("{}", fmt::join(models, ", "));

    std::lock_guard lock(m_mutex);
    for (std::size_t i = 0; i < answers.size(); ++i) {
      Server& s = m_servers[i];
      if (answers[i]) {
        s.model = answers[i]->name;
        s.context = answers[i]->context_length;
        s.state = State::up;
      } else {
        s.why = answers[i].error().message;
        take_out(s);
      }
    }
    m_info = info;
    changed();
    return info;
  }

  Result<int> count_tokens(std::string_view text) override {
    auto info = model_info();
    if (!info)
      return tl::unexpected(info.error());
    std::optional<Error> last;
    for (std::size_t i = 0; i < m_servers.size(); ++i) {
      {
        std::lock_guard lock(m_mutex);
        if (m_servers[i].state != State::up)
          continue;
      }
      auto n = m_servers[i].routed.backend->count_tokens(text);
      if (n || !is_transient(n.error().kind))
        return n;
      last = n.error();
    }
    if (last)
      return tl::unexpected(*last);
    return fail(ErrorKind::unavailable, "no server is up to count tokens ({})", servers_shown());
  }

  Result<GenerateResult> generate(const GenerateRequest& request, std::stop_token stop) override {
    auto info = model_info();
    if (!info)
      return tl::unexpected(info.error());
    // A call that fails on its way (refused, reset, timed out) is sent again at once to another
    // server while one is up — its unit moves there — and the server it failed on is taken out
    // when it is dead (its health check does not answer) or failed too often in a row. At most one
    // try per server, and one more. With no other server up the error goes back to the caller,
    // whose retries come back here.
    std::optional<Error> last;
    for (std::size_t attempt = 0; attempt <= m_servers.size(); ++attempt) {
      auto routed = route(request.prefix_key, stop);
      if (!routed)
        return tl::unexpected(routed.error());
      const std::size_t index = routed->server;
      Server& server = m_servers[index];
      auto result = server.routed.backend->generate(request, stop);
      bool dead = false;
      {
        std::lock_guard lock(m_mutex);
        call_ended(request.prefix_key, routed->place);
        ++server.calls;
        if (result) {
          server.failures = 0;
          server.prompt_tokens += result->prompt_tokens;
          server.cached_prompt_tokens += result->cached_prompt_tokens;
          server.completion_tokens += result->completion_tokens;
          result->model = server.model;
          changed();
          return result;
        }
        ++server.errors;
        changed();
        if (stop.stop_requested() || !is_transient(result.error().kind))
          return result;
        if (!another_up(index))
          return result;
        ++server.failures;
        dead = server.state != State::up || server.failures >= m_options.max_failures;
      }
      // Dead, or only this call's bad luck? Ask the server (its health check is short).
      if (!dead)
        dead = !server.routed.backend->probe();
      std::lock_guard lock(m_mutex);
      last = result.error();
      if (dead) {
        server.why = result.error().message;
        take_out(server);
      } else {
        move_unit(request.prefix_key, index, routed->place);
      }
    }
    return tl::unexpected(*last);  // every try failed on its way
  }

  void unload() override {
    for (auto& s : m_servers)
      s.routed.backend->unload();
  }

  Result<void> probe() override {
    std::lock_guard lock(m_mutex);
    for (const auto& s : m_servers)
      if (s.state == State::up)
        return {};
    return fail(ErrorKind::unavailable, "no server is up ({})", servers_shown_locked());
  }

  void end_prefix(const std::string& prefix_key) override {
    std::lock_guard lock(m_mutex);
    m_avoid.erase(prefix_key);
    if (auto it = m_keys.find(prefix_key); it != m_keys.end())
      release(it);
  }

  std::vector<EndpointStatus> endpoints() const override {
    std::lock_guard lock(m_mutex);
    std::vector<EndpointStatus> out;
    for (const auto& s : m_servers) {
      EndpointStatus e;
      e.name = s.routed.name;
      e.model = s.model;
      e.state = std::string(state_name(s.state));
      e.why = s.state == State::down ? s.why : std::string();
      e.context = s.context;
      e.in_flight = s.held;
      e.parallel = s.parallel;
      e.calls = s.calls;
      e.errors = s.errors;
      e.prompt_tokens = s.prompt_tokens;
      e.cached_prompt_tokens = s.cached_prompt_tokens;
      e.completion_tokens = s.completion_tokens;
      out.push_back(std::move(e));
    }
    return out;
  }

 private:
  struct Server {
    RoutedServer routed;
    int parallel = 1;
    int weight = 1;
    State state = State::starting;
    std::string why;  // the error that took it out last
    std::string model;
    int context = 0;
    int held = 0;      // keys routed here and not yet released
    int failures = 0;  // transient failures in a row
    std::chrono::milliseconds backoff{0};
    Clock::time_point next_probe{};
    Clock::time_point back_at{};  // when it was last taken back
    std::int64_t calls = 0;
    std::int64_t errors = 0;
    std::int64_t prompt_tokens = 0;
    std::int64_t cached_prompt_tokens = 0;
    std::int64_t completion_tokens = 0;
  };
  struct Key {
    std::size_t server = 0;
    int calls = 0;           // in flight
    std::uint64_t used = 0;  // when last routed (m_clock)
    std::uint64_t place =
        0;  // when it was routed here (m_clock): tells this place from earlier ones
  };
  using KeyIt = std::map<std::string, Key>::iterator;

  // Where a call went: its server, and which place of its key there (a key routed anew, after it
  // moved or was released, is a new place: a late call of the old one does not count against it).
  struct Routed {
    std::size_t server = 0;
    std::uint64_t place = 0;  // 0: a call without a key
  };

  // The server a call of `key` goes to (its key's, or a new one's), counted in flight there; waits
  // for room; fails when stopped or when no server is up.
  Result<Routed> route(const std::string& key, const std::stop_token& stop) {
    std::unique_lock lock(m_mutex);
    for (;;) {
      if (stop.stop_requested())
        return fail(ErrorKind::cancelled, "stopped while waiting for a server");
      if (!key.empty()) {
        if (auto it = m_keys.find(key); it != m_keys.end()) {
          ++it->second.calls;
          it->second.used = ++m_clock;
          return Routed{it->second.server, it->second.place};
        }
      }
      // A unit moved off a server that failed it goes to the least loaded other one even when
      // that one has no room left (it shares a place for a while), rather than back.
      std::optional<std::size_t> avoid;
      if (auto it = m_avoid.find(key); it != m_avoid.end() && another_up(it->second))
        avoid = it->second;
      auto best = best_server(!key.empty() && !avoid, avoid);
      while (!best && !key.empty() && any_up() && evict_idle_key())
        best = best_server(true);
      if (best) {
        if (key.empty())
          return Routed{*best, 0};
        const std::uint64_t place = ++m_clock;
        m_keys[key] = Key{*best, 1, place, place};
        ++m_servers[*best].held;
        m_avoid.erase(key);
        return Routed{*best, place};
      }
      if (!any_up())
        return fail(ErrorKind::unavailable, "no server is up ({})", servers_shown_locked());
      wait_for_change(lock, stop);  // a call ended, a key was released, a server came back
    }
  }

  // The up server with room (when `need_room`) and the fewest keys per parallel × weight, other
  // than `avoid`; ties go to the heavier, then the first listed.
  std::optional<std::size_t> best_server(bool need_room,
                                         std::optional<std::size_t> avoid = std::nullopt) const {
    std::optional<std::size_t> best;
    for (std::size_t i = 0; i < m_servers.size(); ++i) {
      const Server& s = m_servers[i];
      if (s.state != State::up || (need_room && s.held >= s.parallel) || avoid == i)
        continue;
      if (!best) {
        best = i;
        continue;
      }
      const Server& b = m_servers[*best];
      // s.held / (s.parallel × s.weight) < b.held / (b.parallel × b.weight), in integers
      const std::int64_t left = std::int64_t{s.held} * b.parallel * b.weight;
      const std::int64_t right = std::int64_t{b.held} * s.parallel * s.weight;
      if (left < right || (left == right && s.weight > b.weight))
        best = i;
    }
    return best;
  }

  bool another_up(std::size_t index) const {
    for (std::size_t i = 0; i < m_servers.size(); ++i)
      if (i != index && m_servers[i].state == State::up)
        return true;
    return false;
  }

  // Releases the least recently used key with no call in flight on an up server (a caller that
  // never ends its keys); false when there is none.
  bool evict_idle_key() {
    std::optional<KeyIt> oldest;
    for (auto it = m_keys.begin(); it != m_keys.end(); ++it)
      if (it->second.calls == 0 && m_servers[it->second.server].state == State::up &&
          (!oldest || it->second.used < (*oldest)->second.used))
        oldest = it;
    if (!oldest)
      return false;
    release(*oldest);
    return true;
  }

  // The key's place on its server is free; the server's backend forgets the key too (its slot).
  void release(KeyIt it) {
    Server& server = m_servers[it->second.server];
    --server.held;
    server.routed.backend->end_prefix(it->first);
    m_keys.erase(it);
    changed();
  }

  // A call of `key` failed on server `index`, which stays up: the unit goes on on another server
  // (its next call is routed anew, never back to this one while another is up).
  void move_unit(const std::string& key, std::size_t index, std::uint64_t place) {
    if (key.empty())
      return;
    m_avoid[key] = index;
    auto it = m_keys.find(key);
    if (it != m_keys.end() && it->second.place == place)
      release(it);
  }

  // A call of `key` at `place` is over.
  void call_ended(const std::string& key, std::uint64_t place) {
    if (key.empty())
      return;
    auto it = m_keys.find(key);
    if (it != m_keys.end() && it->second.place == place && it->second.calls > 0)
      --it->second.calls;
  }

  // The server is out: its keys go elsewhere on their next call, and it is probed with backoff —
  // from the start, or, for a server taken out again soon after it came back (its health check
  // answers, its calls fail), from where the backoff had got to.
  void take_out(Server& server) {
    if (server.state == State::down)
      return;
    if (server.state == State::up)
      spdlog::warn("{} is out ({}): its units go to the other servers; it is asked again in {} s",
                   server.routed.name, server.why,
                   std::chrono::duration<double>(m_options.probe_first).count());
    else
      spdlog::warn("{} does not answer ({}): the run starts without it", server.routed.name,
                   server.why);
    server.state = State::down;
    const bool flapping = Clock::now() - server.back_at < m_options.probe_max;
    server.backoff = flapping && server.backoff > std::chrono::milliseconds(0)
                         ? std::min(server.backoff * 2, m_options.probe_max)
                         : m_options.probe_first;
    server.next_probe = Clock::now() + server.backoff;
    const std::size_t index = static_cast<std::size_t>(&server - m_servers.data());
    for (auto it = m_keys.begin(); it != m_keys.end();) {
      if (it->second.server == index) {
        server.routed.backend->end_prefix(it->first);
        it = m_keys.erase(it);
      } else {
        ++it;
      }
    }
    server.held = 0;
    changed();
  }

  // Under the lock: wakes the waits below.
  void changed() {
    ++m_changes;
    m_changed.notify_all();
  }
  void wait_for_change(std::unique_lock<std::mutex>& lock, const std::stop_token& stop) {
    const std::uint64_t seen = m_changes;
    m_changed.wait(lock, stop, [&] { return m_changes != seen; });
  }

  bool any_up() const {
    return std::any_of(m_servers.begin(), m_servers.end(),
                       [](const Server& s) { return s.state == State::up; });
  }

  std::string servers_shown() const {
    std::lock_guard lock(m_mutex);
    return servers_shown_locked();
  }
  std::string servers_shown_locked() const {
    std::vector<std::string> names;
    for (const auto& s : m_servers)
      names.push_back(fmt::format("{} {}", s.routed.name, state_name(s.state)));
    return fmt::format("{}", fmt::join(names, ", "));
  }

  // The probing thread: each down server when its time comes (why_not_back).
  void probe_loop(const std::stop_token& stop) {
    std::unique_lock lock(m_mutex);
    while (!stop.stop_requested()) {
      std::optional<Clock::time_point> next;
      for (const auto& s : m_servers)
        if (s.state == State::down && (!next || s.next_probe < *next))
          next = s.next_probe;
      if (!next) {
        wait_for_change(lock, stop);
        continue;
      }
      if (Clock::now() < *next) {
        const std::uint64_t seen = m_changes;
        m_changed.wait_until(lock, stop, *next, [&] { return m_changes != seen; });
        continue;
      }
      for (auto& s : m_servers) {
        if (stop.stop_requested())
          return;
        if (s.state != State::down || Clock::now() < s.next_probe)
          continue;
        lock.unlock();
        auto why_not = why_not_back(s);
        lock.lock();
        if (!why_not) {
          spdlog::info("{} answers again: it takes new units", s.routed.name);
          s.state = State::up;
          s.failures = 0;
          s.back_at = Clock::now();
          changed();
        } else {
          s.why = std::move(*why_not);
          s.backoff = std::min(s.backoff * 2, m_options.probe_max);
          s.next_probe = Clock::now() + s.backoff;
        }
      }
    }
  }

  // Outside the lock: why the server cannot be taken back, or nothing when it can — it answers
  // its health check, serves what it served (or, never heard from, a model the run accepts) and
  // takes units as large as the run's.
  std::optional<std::string> why_not_back(Server& s) {
    if (auto alive = s.routed.backend->probe(); !alive)
      return alive.error().message;
    auto info = s.routed.backend->model_info();
    if (!info)
      return info.error().message;
    std::lock_guard lock(m_mutex);
    if (m_info && info->context_length < m_info->context_length)
      return fmt::format("it takes {} tokens per request, the run's units {}", info->context_length,
                         m_info->context_length);
    if (!s.model.empty() && info->name != s.model)
      return fmt::format("it serves {} now, {} before", info->name, s.model);
    if (s.model.empty() && m_info && !m_options.allow_mixed_models && info->name != m_info->name)
      return fmt::format("it serves {}, the run {} (llm.allow_mixed_models is false)", info->name,
                         m_info->name);
    s.model = info->name;
    s.context = info->context_length;
    return std::nullopt;
  }

  RouterOptions m_options;
  std::vector<Server> m_servers;  // fixed size; each entry guarded by m_mutex

  std::mutex m_info_mutex;  // one model_info() asks the servers at a time
  mutable std::mutex m_mutex;
  std::condition_variable_any m_changed;
  std::uint64_t m_changes = 0;  // counts changed() calls, so that a wait knows it was woken
  std::optional<ModelInfo> m_info;
  std::map<std::string, Key> m_keys;
  std::map<std::string, std::size_t> m_avoid;  // a moved unit's key → the server it left
  std::uint64_t m_clock = 0;
  std::jthread m_prober;  // last: starts after, and stops before, the rest
};

}  // namespace

std::unique_ptr<Backend> make_router(std::vector<RoutedServer> servers, RouterOptions options) {
  return std::make_unique<Router>(std::move(servers), options);
}

}  // namespace g2d::llm
