// Which audit.log lines `certctl audit` lists (the reading is in journal.cpp, the JSON side),
// and the names actions had before they were renamed for the inventory.
#include <certctl/clock.hpp>
#include <certctl/vault.hpp>

#include <algorithm>
#include <array>

namespace certctl::vault {
namespace {

/// Old name -> new name. Old lines keep their names (the chain covers them); listing and
/// filtering see both.
constexpr std::array<std::pair<std::string_view, std::string_view>, 3> kRenamed{{
    {"show-key", actions::kKeyViewed},
    {"export", actions::kPemExported},
    {"export-pfx", actions::kPfxExported},
}};

bool action_matches(std::string_view action, std::string_view want) {
  if (want.empty()) return false;
  if (want.back() == '*') return action.substr(0, want.size() - 1) == want.substr(0, want.size() - 1);
  if (want.back() == '.') return action.size() > want.size() && action.substr(0, want.size()) == want;
  return action == want;
}

}  // namespace

std::string_view canonical_action(std::string_view stored) {
  for (const auto& [old_name, new_name] : kRenamed)
    if (stored == old_name) return new_name;
  return stored;
}

bool AuditFilter::matches(const AuditEntry& e) const {
  if (!record.empty() && e.certificate != record) return false;
  if (!actions.empty()) {
    const std::string_view now = canonical_action(e.action);
    if (std::none_of(actions.begin(), actions.end(),
                     [&](const std::string& a) { return action_matches(e.action, a) || action_matches(now, a); }))
      return false;
  }
  if (since) {
    auto t = parse_rfc3339(e.time, "time");
    if (!t || *t < *since) return false;
  }
  return true;
}

}  // namespace certctl::vault
