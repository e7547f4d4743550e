// Solvers shared by the orders of a batch; their cleanup errors go to every record that used them.
#include "lifecycle/shared_solvers.hpp"

#include <fmt/format.h>

namespace certctl::lifecycle::detail {
namespace {

std::string solver_key(const ca::ChallengeSettings& c) {
  return fmt::format("{}|{}|{}|{}|{}|{}|{}", vault::challenge_name(c.type), c.http_address, c.http_port, c.tls_port, c.webroot,
                     c.dns ? challenge::to_string(*c.dns) : "",
                     c.dns_options.tech_zone);
}

}  // namespace

Result<challenge::Solver*> SharedSolvers::get(const ca::ChallengeSettings& settings, const std::string& user) {
  std::lock_guard lock(mu_);
  Slot& slot = slots_[solver_key(settings)];
  if (!slot.solver) {
    TRY_ASSIGN(slot.solver, make_(settings));
  }
  slot.users.insert(user);
  return slot.solver.get();
}

std::map<std::string, std::vector<Error>> SharedSolvers::cleanup() {
  std::lock_guard lock(mu_);
  std::map<std::string, std::vector<Error>> warnings;
  for (auto& [_, slot] : slots_) {
    if (!slot.solver) continue;
    Status st = slot.solver->cleanup();
    if (st) continue;
    for (const auto& user : slot.users)
      warnings[user].push_back(Error(st.error().category(), user, "cleaning up its challenge failed", st.error().text()));
  }
  return warnings;
}

}  // namespace certctl::lifecycle::detail
