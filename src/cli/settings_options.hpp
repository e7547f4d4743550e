#pragma once
// The issue settings options (--challenge, --dns, --webroot, ports, profile, chain, fallback,
// deploy), shared by `issue` and `migrate`: bound once, and only those given end up set.
#include <certctl/lifecycle.hpp>

#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace certctl::cli {

struct SettingsBinding {
  vault::IssueSettings settings;
  std::string challenge;  ///< --challenge as typed; checked by parse_challenge when parsed
  std::vector<std::string> fallback;
  std::vector<std::string> webroots;  ///< --webroot DIR and --webroot NAME=DIR, as typed
};

/// Add the options to `sub`. `deploy`: also --deploy-dir, --deploy-owner, --deploy-hook.
void add_settings_options(CLI::App* sub, SettingsBinding& b, bool deploy = true);
/// The options given on this command line.
/// The options given on this command line (a Usage error for two plain --webroot DIRs).
Result<lifecycle::SettingsOverride> given_settings(CLI::App* sub, const SettingsBinding& b);

}  // namespace certctl::cli
