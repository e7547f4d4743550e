// deployed/<host>.json: one JSON object per host, {"format":1,"records":{NAME:{...}}}.
#include <certctl/deploy_results.hpp>
#include <certctl/vault.hpp>

#include <nlohmann/json.hpp>

namespace certctl::vault {
namespace {

constexpr std::string_view kStateNames[] = {"deployed", "deploy-failed"};
/// 10,000 records of a few hundred bytes each fit many times over.
constexpr std::size_t kMaxDocument = 32u << 20;
constexpr std::size_t kMaxError = 2048;
constexpr std::size_t kMaxTargets = 256;

std::optional<DeployResult> entry_of(const std::string& name, const nlohmann::json& j) {
  if (!j.is_object() || !validate_name(name)) return std::nullopt;
  DeployResult r;
  r.record = name;
  auto version = j.find("version");
  auto state = j.find("state");
  auto at = j.find("at");
  if (version == j.end() || !version->is_number_integer() || state == j.end() || !state->is_string() ||
      at == j.end() || !at->is_number_integer())
    return std::nullopt;
  const auto v = version->get<std::int64_t>();
  const auto t = at->get<std::int64_t>();
  if (v < 0 || v > 1'000'000'000 || t < 0) return std::nullopt;
  r.version = static_cast<int>(v);
  r.at = static_cast<UnixTime>(t);
  const std::string s = state->get<std::string>();
  if (s == kStateNames[0]) r.state = DeployState::Deployed;
  else if (s == kStateNames[1]) r.state = DeployState::DeployFailed;
  else return std::nullopt;
  if (auto e = j.find("error"); e != j.end() && e->is_string()) r.error = e->get<std::string>().substr(0, kMaxError);
  if (auto ts = j.find("targets"); ts != j.end() && ts->is_array())
    for (const auto& t : *ts)
      if (t.is_string() && r.targets.size() < kMaxTargets) r.targets.push_back(t.get<std::string>());
  return r;
}

}  // namespace

std::string_view deploy_state_name(DeployState s) { return kStateNames[static_cast<int>(s)]; }

Result<std::map<std::string, DeployResult>> load_deploy_results(const Vault& v, std::string_view host) {
  TRY(validate_name(host));
  const std::string key = Layout::deploy_results(host);
  TRY_ASSIGN(std::optional<storage::Value> got, v.store().get(key, kMaxDocument));
  std::map<std::string, DeployResult> out;
  if (!got) return out;
  auto j = nlohmann::json::parse(got->data, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return out;  // unreadable: deployed again, then rewritten
  auto records = j.find("records");
  if (records == j.end() || !records->is_object()) return out;
  for (const auto& [name, entry] : records->items())
    if (auto r = entry_of(name, entry)) out.emplace(name, std::move(*r));
  return out;
}

Result<std::map<std::string, std::map<std::string, DeployResult>>> load_all_deploy_results(const Vault& v) {
  TRY_ASSIGN(std::vector<storage::Listed> listed, v.store().list(Layout::deploy_results_dir()));
  std::map<std::string, std::map<std::string, DeployResult>> out;
  for (const auto& l : listed) {
    std::string_view file = std::string_view(l.key).substr(Layout::deploy_results_dir().size());
    if (file.size() <= 5 || file.substr(file.size() - 5) != ".json") continue;
    const std::string host(file.substr(0, file.size() - 5));
    if (!validate_name(host)) continue;
    TRY_ASSIGN(auto results, load_deploy_results(v, host));
    out.emplace(host, std::move(results));
  }
  return out;
}

Status save_deploy_results(const Vault& v, std::string_view host, const std::map<std::string, DeployResult>& results) {
  TRY(validate_name(host));
  nlohmann::ordered_json records = nlohmann::ordered_json::object();
  for (const auto& [name, r] : results) {
    nlohmann::ordered_json e;
    e["version"] = r.version;
    e["state"] = deploy_state_name(r.state);
    e["at"] = r.at;
    if (!r.error.empty()) e["error"] = r.error.substr(0, kMaxError);
    e["targets"] = r.targets;
    records[name] = std::move(e);
  }
  nlohmann::ordered_json doc;
  doc["format"] = 1;
  doc["host"] = host;
  doc["records"] = std::move(records);
  TRY(v.store().put(Layout::deploy_results(host), doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
  return ok();
}

}  // namespace certctl::vault
