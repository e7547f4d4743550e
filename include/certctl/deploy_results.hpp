#pragma once
/// What each host's agent deployed (issue 11, "agents that deploy"): per host one document,
/// <vault>/deployed/<host>.json, written only by that host's agent, so hosts never contend for
/// it. `show` and `list --json` read every host's to say which host lags.
#include <certctl/clock.hpp>
#include <certctl/result.hpp>

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace certctl::vault {

class Vault;

enum class DeployState { Deployed, DeployFailed };
/// "deployed" or "deploy-failed".
std::string_view deploy_state_name(DeployState s);

/// One record's last deployment on one host.
struct DeployResult {
  std::string record;
  int version = 0;  ///< the version it deployed (or failed to)
  DeployState state = DeployState::Deployed;
  UnixTime at = 0;
  std::string error;  ///< why it failed ("" when deployed)
  /// The deploy targets it applied, sorted (a changed set deploys the record again).
  std::vector<std::string> targets;
  bool operator==(const DeployResult&) const = default;
};

/// One host's results, by record name (none yet: empty). An entry that cannot be read is
/// skipped: the agent deploys that record again.
Result<std::map<std::string, DeployResult>> load_deploy_results(const Vault& v, std::string_view host);
/// Every host's results: host -> record -> result.
Result<std::map<std::string, std::map<std::string, DeployResult>>> load_all_deploy_results(const Vault& v);
/// Replace one host's document (atomically).
Status save_deploy_results(const Vault& v, std::string_view host, const std::map<std::string, DeployResult>& results);

}  // namespace certctl::vault
