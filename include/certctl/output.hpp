#pragma once
/// Rendering records for people (tables, detail views) and for programs (JSON). Lifecycle
/// returns data; only the CLI calls these. nlohmann/json stays inside src/output/json.cpp.
#include <certctl/ca.hpp>
#include <certctl/deploy_results.hpp>
#include <certctl/error.hpp>
#include <certctl/lifecycle.hpp>
#include <certctl/policy.hpp>
#include <certctl/record.hpp>
#include <certctl/vault.hpp>

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace certctl::output {

/// The `list` table: NAME DOMAIN CA STATUS DAYS AUTO-RENEW.
std::string records_table(const std::vector<vault::Record>& records, UnixTime now, bool color);
/// The same table built one record at a time: it keeps each row's cells, not the records.
class RecordsTable {
 public:
  RecordsTable(UnixTime now, bool color);
  ~RecordsTable();
  RecordsTable(const RecordsTable&) = delete;
  RecordsTable& operator=(const RecordsTable&) = delete;
  void add(const vault::Record& r);
  bool empty() const;
  std::string render() const;

 private:
  struct Rows;
  std::unique_ptr<Rows> rows_;
  UnixTime now_;
  bool color_;
};
/// What each host's agent deployed: host -> record -> result (vault::load_all_deploy_results).
using DeployResults = std::map<std::string, std::map<std::string, vault::DeployResult>>;

/// The `show` view: every field, one per line, then each host's deployment, then the places
/// discovery saw its certificates (`served`), then the history.
std::string record_details(const vault::Record& r, UnixTime now, bool color, const DeployResults* deployed = nullptr,
                           const std::vector<lifecycle::ServedPlace>* served = nullptr);

/// JSON array for `list --json`; one object per record (fields in man/certctl.1), with
/// "deployments" when `deployed` is given.
std::string records_json(const std::vector<vault::Record>& records, UnixTime now,
                         const DeployResults* deployed = nullptr);
/// records_json's text written as it goes, one record at a time, through `sink`: a walk over
/// the vault prints its array without holding the records or the text.
class RecordsJsonWriter {
 public:
  using Sink = std::function<void(std::string_view)>;
  RecordsJsonWriter(Sink sink, UnixTime now, const DeployResults* deployed = nullptr)
      : sink_(std::move(sink)), now_(now), deployed_(deployed) {}
  void add(const vault::Record& r);
  /// Close the array ("[]" when nothing was added).
  void finish();

 private:
  Sink sink_;
  UnixTime now_;
  const DeployResults* deployed_;
  bool any_ = false;
};
/// JSON object for `show --json` (with "served_at" when `served` is given).
std::string record_json(const vault::Record& r, UnixTime now, const DeployResults* deployed = nullptr,
                        const std::vector<lifecycle::ServedPlace>* served = nullptr);
/// `discover tls|files`: PLACE RESULT RECORD DOMAIN DAYS LINKED, one row per place.
std::string discover_table(const lifecycle::DiscoverReport& report, UnixTime now);
/// `discover --json`: {"new", "seen_again", "changed", "skipped", "failed", "items": [...]}.
std::string discover_json(const lifecycle::DiscoverReport& report, UnixTime now);
/// {"error": {"category", "subject", "message", "exit_code"}}
std::string error_json(const Error& e);
/// `vault info --json`
std::string vault_info_json(const std::string& path, const vault::VaultInfo& info,
                            const std::vector<std::pair<std::string, int>>& counts);
std::string local_ca_json(const ca::LocalCaInfo& info);
/// `ca local show --json` and `rotate --json`: {"certificates": [...]}, oldest first.
std::string local_ca_certs_json(const std::vector<ca::LocalCaCert>& certs);
std::string ca_profiles_json(const std::vector<ca::CaProfile>& profiles);
/// `ca show --json`: one profile, the same object as an element of ca_profiles_json.
std::string ca_profile_json(const ca::CaProfile& p);
std::string account_json(const ca::Account& a);
/// `renew --json`: {"dry_run", "checked", "renewed", "failed", "items": [...]}
std::string renew_report_json(const lifecycle::RenewReport& report);
/// `notify list --json`: the notifiers (no secrets: only the names of password variables).
std::string notifiers_json(const std::vector<lifecycle::NotifierSpec>& notifiers);
/// `deploy list --json`.
std::string deploy_targets_json(const std::vector<lifecycle::DeployTarget>& targets);
/// `host list --json`: name, created, public_key, labels.
std::string hosts_json(const std::vector<lifecycle::HostInfo>& hosts);
/// `dns list --json`, `dns show --json` (secrets only as "sealed" or "env:VAR").
std::string dns_providers_json(const std::vector<lifecycle::DnsProviderInfo>& providers);
std::string dns_provider_json(const lifecycle::DnsProviderInfo& provider);
/// `dns check --json`.
std::string dns_check_json(const std::vector<lifecycle::DnsCheckItem>& items);
std::string orders_json(const std::vector<vault::Vault::LoggedOrder>& orders);
/// `audit verify --json`: the counts of vault::AuditReport and its problems.
std::string audit_report_json(const vault::AuditReport& report);
/// `certctl audit --json`: one line of audit.log as one compact JSON object (JSON lines):
/// seq, time, user, host, action, record, details.
std::string audit_entry_json(const vault::AuditEntry& e);
/// `policy show --json`: an object with one member per rule (rule_specs() order): null when
/// unset, else {"severity", "values" | "value"}.
std::string policy_json(const vault::Policy& p);
/// `policy check --json`: {"allowed": no hard violation, "violations": [{rule, severity, value, message}]}.
std::string violations_json(const std::vector<vault::Violation>& v);

}  // namespace certctl::output
