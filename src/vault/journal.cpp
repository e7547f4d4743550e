// audit.log and orders.log: append-only JSON lines, one write(2) each.
#include <certctl/fs.hpp>
#include <certctl/vault.hpp>

#include <nlohmann/json.hpp>

namespace certctl::vault {

Status Vault::audit(std::string_view action, std::string_view certificate,
                    const std::vector<std::pair<std::string, std::string>>& details, UnixTime now) const {
  nlohmann::ordered_json j;
  j["time"] = format_rfc3339(now);
  j["user"] = current_user();
  j["action"] = action;
  j["certificate"] = certificate;
  nlohmann::ordered_json d = nlohmann::ordered_json::object();
  for (const auto& [k, v] : details) d[k] = v;
  j["details"] = std::move(d);
  return fs::append_line(layout_.audit_log(), j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

Status Vault::log_order(const OrderEntry& e, UnixTime now) const {
  nlohmann::ordered_json j;
  j["time"] = format_rfc3339(now);
  j["name"] = e.name;
  j["ca"] = e.ca;
  j["type"] = e.type;
  j["status"] = e.status;
  j["user"] = current_user();
  j["duration_s"] = e.duration_s;
  if (!e.error.empty()) j["error"] = e.error;
  return fs::append_line(layout_.orders_log(), j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace certctl::vault
