// Placeholder: the matcher is being written (issue 3); everything matches nothing for now.
#include "discover/ignore.hpp"

namespace g2d::discover {

struct IgnorePattern {};
struct AttrLine {};

bool wildmatch(std::string_view pattern, std::string_view text) { return pattern == text; }

IgnoreList::IgnoreList() = default;
IgnoreList::IgnoreList(std::string_view /*text*/, std::string base) : m_base(std::move(base)) {}
IgnoreList::IgnoreList(const std::vector<std::string>& /*lines*/, std::string base)
    : m_base(std::move(base)) {}
IgnoreList::~IgnoreList() = default;
IgnoreList::IgnoreList(IgnoreList&&) noexcept = default;
IgnoreList& IgnoreList::operator=(IgnoreList&&) noexcept = default;
IgnoreList::IgnoreList(const IgnoreList&) = default;
IgnoreList& IgnoreList::operator=(const IgnoreList&) = default;
IgnoreMatch IgnoreList::match(std::string_view /*path*/, bool /*is_dir*/) const {
  return IgnoreMatch::none;
}
bool IgnoreList::empty() const { return m_patterns.empty(); }

void IgnoreStack::add(std::string dir, std::string_view text) {
  m_lists.emplace(dir, IgnoreList(text, dir));
}
IgnoreMatch IgnoreStack::match(std::string_view /*path*/, bool /*is_dir*/) const {
  return IgnoreMatch::none;
}
bool IgnoreStack::is_ignored(std::string_view /*path*/, bool /*is_dir*/) const { return false; }

AttributeStack::AttributeStack() = default;
AttributeStack::~AttributeStack() = default;
AttributeStack::AttributeStack(AttributeStack&&) noexcept = default;
AttributeStack& AttributeStack::operator=(AttributeStack&&) noexcept = default;
void AttributeStack::add(std::string /*dir*/, std::string_view /*text*/) {}
LinguistAttrs AttributeStack::linguist(std::string_view /*path*/) const { return {}; }

}  // namespace g2d::discover
