// audit.log and orders.log: append-only JSON lines, one write(2) each; audit.log is chained
// (src/vault/audit_chain.hpp).
#include <certctl/fs.hpp>
#include <certctl/vault.hpp>

#include "vault/audit_chain.hpp"

#include <nlohmann/json.hpp>

namespace certctl::vault {

Status Vault::audit(std::string_view action, std::string_view certificate,
                    const std::vector<std::pair<std::string, std::string>>& details, UnixTime now) const {
  nlohmann::ordered_json j;
  j["time"] = format_rfc3339(now);
  j["user"] = current_user();
  j["host"] = host_;
  j["action"] = action;
  j["certificate"] = certificate;
  nlohmann::ordered_json d = nlohmann::ordered_json::object();
  for (const auto& [k, v] : details) d[k] = v;
  j["details"] = std::move(d);
  std::optional<SecretBytes> key;
  if (unlocked()) {
    TRY_ASSIGN(key, audit::derive_key(vault_key_));
  }
  return store_->update_log(Layout::audit_log(), [&](storage::LogView& log) -> Result<std::optional<storage::LogAppend>> {
    TRY_ASSIGN(const std::string last, log.last_line());
    std::optional<audit::ChainState> prev = audit::state_after(last);
    if (!prev) {
      // The last line is not chained: the chain has not begun, or something else wrote it.
      TRY_ASSIGN(std::string all, log.whole(fs::kMaxLogSize));
      prev = audit::claimed_state(all);
    }
    const audit::ChainState next{prev->seq + 1, ""};
    j["seq"] = next.seq;
    const std::string content = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    TRY_ASSIGN(std::string chain, audit::chain_value(key ? &*key : nullptr, prev->chain, content));
    storage::LogAppend add{audit::join_line(content, key.has_value(), chain), std::nullopt};
    if (key) {
      TRY_ASSIGN(std::string head, audit::render_head(audit::ChainState{next.seq, chain}, *key));
      add.then_put = std::make_pair(Layout::audit_head(), std::move(head));
    }
    return std::optional<storage::LogAppend>(std::move(add));
  });
}

Status Vault::read_audit(const AuditFilter& filter, const std::function<Status(const AuditEntry&)>& visit) const {
  TRY_ASSIGN(std::optional<storage::Value> log, store_->get(Layout::audit_log(), fs::kMaxLogSize));
  if (!log) return ok();
  const std::string_view text = log->data;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    auto j = nlohmann::ordered_json::parse(text.substr(pos, end - pos), nullptr, false);
    pos = end + 1;
    if (j.is_discarded() || !j.is_object()) continue;
    auto s = [&j](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string(); };
    AuditEntry e;
    if (auto it = j.find("seq"); it != j.end() && it->is_number_unsigned()) e.seq = it->get<std::uint64_t>();
    e.time = s("time");
    e.user = s("user");
    e.host = s("host");
    e.action = s("action");
    e.certificate = s("certificate");
    if (auto d = j.find("details"); d != j.end() && d->is_object())
      for (const auto& [k, v] : d->items())
        e.details.emplace_back(k, v.is_string() ? v.get<std::string>()
                                                : v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    if (!filter.matches(e)) continue;
    TRY(visit(e));
  }
  return ok();
}

namespace audit {

LineFields line_fields(std::string_view content) {
  LineFields f;
  auto j = nlohmann::json::parse(content, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return f;
  if (auto it = j.find("seq"); it != j.end() && it->is_number_unsigned()) f.seq = it->get<std::uint64_t>();
  if (auto it = j.find("time"); it != j.end() && it->is_string()) f.time = it->get<std::string>();
  if (auto it = j.find("action"); it != j.end() && it->is_string()) f.action = it->get<std::string>();
  return f;
}

}  // namespace audit

Status Vault::log_order(const OrderEntry& e, UnixTime now) const {
  nlohmann::ordered_json j;
  j["time"] = format_rfc3339(now);
  j["name"] = e.name;
  j["ca"] = e.ca;
  j["type"] = e.type;
  j["status"] = e.status;
  j["user"] = current_user();
  j["host"] = host_;
  j["duration_s"] = e.duration_s;
  if (!e.error.empty()) j["error"] = e.error;
  if (!e.replaces.empty()) j["replaces"] = e.replaces;
  return store_->append(Layout::orders_log(), j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

Result<std::vector<Vault::LoggedOrder>> Vault::read_orders() const {
  std::vector<LoggedOrder> out;
  TRY_ASSIGN(std::optional<storage::Value> log, store_->get(Layout::orders_log(), fs::kMaxLogSize));
  if (!log) return out;
  const std::string& text = log->data;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    auto j = nlohmann::json::parse(std::string_view(text).substr(pos, end - pos), nullptr, false);
    pos = end + 1;
    if (j.is_discarded() || !j.is_object()) continue;
    auto s = [&j](const char* k) { return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string(); };
    LoggedOrder o;
    o.time = s("time");
    o.user = s("user");
    o.host = s("host");
    o.entry.name = s("name");
    o.entry.ca = s("ca");
    o.entry.type = s("type");
    o.entry.status = s("status");
    o.entry.error = s("error");
    o.entry.replaces = s("replaces");
    if (j.contains("duration_s") && j["duration_s"].is_number()) o.entry.duration_s = j["duration_s"].get<double>();
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace certctl::vault
