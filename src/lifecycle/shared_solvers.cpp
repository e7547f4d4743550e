// Solvers shared by the orders of a batch; their cleanup errors go to every record that used them.
#include "lifecycle/shared_solvers.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace certctl::lifecycle::detail {
namespace {

std::string solver_key(const ca::ChallengeSettings& c) {
  return fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", vault::challenge_name(c.type), c.http_address, c.http_port,
                     c.tls_port, c.webroot, fmt::join(c.webroot_map, ","), c.http_hook,
                     c.dns ? challenge::to_string(*c.dns) : "", c.dns_options.tech_zone,
                     c.dns_options.propagation_wait.count(), c.dns_options.check_propagation);
}

/// A solver several workers present into at once: most solvers keep what they presented in
/// plain members (to clean it up), so calls into one are serialised here. (Found by UBSan: two
/// orders of a batch growing one dns-01 solver's list at the same time.) The dns-01 provider
/// solver (exec hooks and providers) guards its list and its provider itself, so the orders'
/// propagation waits still overlap.
class Serialised final : public challenge::Solver {
 public:
  explicit Serialised(std::unique_ptr<challenge::Solver> inner) : inner_(std::move(inner)) {}
  std::string_view type() const override { return inner_->type(); }
  Status present(const std::vector<challenge::Task>& tasks) override {
    std::lock_guard lock(mu_);
    return inner_->present(tasks);
  }
  Status cleanup() override {
    std::lock_guard lock(mu_);
    return inner_->cleanup();
  }

 private:
  std::mutex mu_;
  std::unique_ptr<challenge::Solver> inner_;
};

}  // namespace

Result<challenge::Solver*> SharedSolvers::get(const ca::ChallengeSettings& settings, const std::string& user) {
  std::lock_guard lock(mu_);
  Slot& slot = slots_[solver_key(settings)];
  if (!slot.solver) {
    TRY_ASSIGN(std::unique_ptr<challenge::Solver> made, make_(settings));
    const bool guards_itself = settings.type == vault::ChallengeType::Dns01 && settings.dns &&
                               !std::holds_alternative<challenge::ManualDns>(*settings.dns);
    slot.solver = guards_itself ? std::move(made) : std::make_unique<Serialised>(std::move(made));
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
