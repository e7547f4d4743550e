#pragma once
// The challenge solvers a batch of orders shares (private to src/lifecycle): one per distinct
// challenge set-up, so one responder on port 80 serves every order of `issue a b c`.
#include <certctl/ca.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace certctl::lifecycle::detail {

class SharedSolvers {
 public:
  using Factory = std::function<Result<std::unique_ptr<challenge::Solver>>(const ca::ChallengeSettings&)>;
  explicit SharedSolvers(Factory make = ca::make_solver) : make_(std::move(make)) {}

  /// The solver for these settings (made on first use), noting that `user` (a record name)
  /// presents into it. Safe to call from several workers.
  Result<challenge::Solver*> get(const ca::ChallengeSettings& settings, const std::string& user);
  /// Clean every solver up once the orders are done. A solver that fails to clean up is
  /// reported to each record that used it, as a warning (its certificate stands): the same
  /// error a single order's own solver would fail with, keyed by record name.
  std::map<std::string, std::vector<Error>> cleanup();

 private:
  struct Slot {
    std::unique_ptr<challenge::Solver> solver;
    std::set<std::string> users;
  };
  Factory make_;
  std::mutex mu_;
  std::map<std::string, Slot> slots_;
};

}  // namespace certctl::lifecycle::detail
