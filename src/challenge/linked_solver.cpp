/// LinkedSolver: present and clean up through the responder's link.
#include "challenge/common.hpp"

namespace certctl::challenge {

Status LinkedSolver::start() {
  std::lock_guard lock(mu_);
  if (host_) return {};
  TRY_ASSIGN(host_, Responders::start_thread({endpoint_}));
  return {};
}

Status LinkedSolver::send(const Answer& a) {
  ResponderLink& link = host_->link();
  if (endpoint_.kind == ResponderKind::Http01) return link.add_http(a.key, a.values.at(0));
  return link.add_tls(a.key, a.values.at(0), a.values.at(1));
}

Status LinkedSolver::present(const std::vector<Task>& tasks) {
  std::vector<Answer> answers;
  for (const auto& t : tasks) {
    TRY_ASSIGN(Answer a, answer(t));
    answers.push_back(std::move(a));
  }
  if (owned_) TRY(start());
  std::lock_guard lock(mu_);
  for (const auto& a : answers) {
    TRY(send(a));
    if (!owned_) keys_.push_back(a.key);
  }
  return {};
}

Status LinkedSolver::cleanup() {
  std::lock_guard lock(mu_);
  if (owned_) {
    host_.reset();  // stops the responder thread and closes the port
    return {};
  }
  Status first;
  for (const auto& key : keys_) {
    Status st = host_->link().remove(endpoint_.kind, key);
    if (!st && first) first = st;
  }
  keys_.clear();
  return first;
}

}  // namespace certctl::challenge
