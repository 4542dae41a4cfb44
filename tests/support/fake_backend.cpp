#include "fake_backend.hpp"

#include <cctype>
#include <condition_variable>
#include <mutex>
#include <set>

#include <nlohmann/json.hpp>

namespace g2d::test {

ScriptedFakeBackend::ScriptedFakeBackend(Script questions, Script answers, int context_length)
    : m_questions(std::move(questions)),
      m_answers(std::move(answers)),
      m_context_length(context_length) {}

Result<llm::ModelInfo> ScriptedFakeBackend::model_info() {
  return llm::ModelInfo{"fake", m_context_length, m_context_length, true};
}

Result<int> ScriptedFakeBackend::count_tokens(std::string_view text) {
  std::lock_guard lock(m_mutex);
  int before = m_counts++;
  if (m_count_fault)
    if (auto error = m_count_fault(before))
      return tl::unexpected(*error);
  return static_cast<int>(text.size() / 4);
}

void ScriptedFakeBackend::fail_token_counts(
    std::function<std::optional<Error>(int counts_before)> fault) {
  std::lock_guard lock(m_mutex);
  m_count_fault = std::move(fault);
}

int ScriptedFakeBackend::token_counts() const {
  std::lock_guard lock(m_mutex);
  return m_counts;
}

Result<llm::GenerateResult> ScriptedFakeBackend::generate(const llm::GenerateRequest& request,
                                                          std::stop_token stop) {
  std::unique_lock lock(m_mutex);
  m_prefix_events.emplace_back(request.prefix_key, "call");
  if (m_hold && m_hold(request)) {
    ++m_held;
    lock.unlock();
    std::condition_variable_any cv;
    std::mutex m;
    std::unique_lock wait(m);
    cv.wait(wait, stop, [] { return false; });
    lock.lock();
    --m_held;
    return fail(ErrorKind::cancelled, "stopped while held (fake)");
  }
  if (request.json_schema)
    return m_questions(request, m_question_calls++);
  return m_answers(request, m_answer_calls++);
}

void ScriptedFakeBackend::end_prefix(const std::string& prefix_key) {
  std::lock_guard lock(m_mutex);
  m_prefix_events.emplace_back(prefix_key, "end");
}

std::vector<std::pair<std::string, std::string>> ScriptedFakeBackend::prefix_events() const {
  std::lock_guard lock(m_mutex);
  return m_prefix_events;
}

void ScriptedFakeBackend::hold_calls(std::function<bool(const llm::GenerateRequest&)> hold) {
  std::lock_guard lock(m_mutex);
  m_hold = std::move(hold);
}

int ScriptedFakeBackend::held_calls() const {
  std::lock_guard lock(m_mutex);
  return m_held;
}

int ScriptedFakeBackend::question_calls() const {
  std::lock_guard lock(m_mutex);
  return m_question_calls;
}

int ScriptedFakeBackend::answer_calls() const {
  std::lock_guard lock(m_mutex);
  return m_answer_calls;
}

llm::GenerateResult fake_reply(std::string text) {
  llm::GenerateResult r;
  r.text = std::move(text);
  r.prompt_tokens = 100;
  r.completion_tokens = 10;
  return r;
}

std::string code_name(const llm::GenerateRequest& request) {
  static const std::set<std::string, std::less<>> keywords{
      "auto",     "char",   "const",    "def", "double", "else", "for",
      "function", "if",     "import",   "int", "let",    "long", "return",
      "static",   "struct", "unsigned", "var", "void",   "while"};
  for (const auto& message : request.messages) {
    const std::string& text = message.content;
    size_t fence = text.find("```");
    if (fence == std::string::npos)
      continue;
    size_t at = text.find('\n', fence);
    size_t end = text.find("```", at == std::string::npos ? text.size() : at);
    auto word_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
    size_t last = std::min(end, text.size());
    for (at = std::min(at, last); at < last;) {
      if (!word_char(text[at])) {
        ++at;
        continue;
      }
      size_t stop = at;
      while (stop < last && word_char(text[stop]))
        ++stop;
      std::string word = text.substr(at, stop - at);
      at = stop;
      if (!std::isdigit(static_cast<unsigned char>(word[0])) && !keywords.contains(word))
        return "`" + word + "`";
    }
  }
  return "the code";
}

std::string fake_questions(const llm::GenerateRequest& request, int count) {
  return fake_questions(count, code_name(request));
}

std::string fake_questions(int count, const std::string& topic) {
  nlohmann::json questions = nlohmann::json::array();
  for (int i = 1; i <= count; ++i)
    questions.push_back("What does " + topic + " do in case " + std::to_string(i) + "?");
  return nlohmann::json{{"questions", questions}}.dump();
}

std::string fake_pairs(const llm::GenerateRequest& request, int count) {
  nlohmann::json pairs = nlohmann::json::array();
  const auto questions = nlohmann::json::parse(fake_questions(request, count));
  for (const auto& q : questions["questions"]) {
    const auto question = q.get<std::string>();
    pairs.push_back({{"question", question}, {"response", "Answer to: " + question}});
  }
  return nlohmann::json{{"pairs", pairs}}.dump();
}

Result<llm::GenerateResult> echo_answer(const llm::GenerateRequest& request, int /*calls_before*/) {
  const std::string& user = request.messages.back().content;
  auto at = user.rfind("Question: ");
  return fake_reply("Answer to: " + (at == std::string::npos ? user : user.substr(at + 10)));
}

}  // namespace g2d::test
