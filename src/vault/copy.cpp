// vault copy: the key space of one store into another, the config last.
#include <certctl/fs.hpp>
#include <certctl/vault.hpp>
#include <certctl/vault_copy.hpp>

#include <algorithm>

namespace certctl::vault {
namespace {

/// Keys copied in one change: bounded memory and transaction size, whatever the vault's size.
constexpr std::size_t kBatchKeys = 256;

bool derived(std::string_view key) { return key == Layout::record_cache(); }

}  // namespace

Result<CopyReport> copy_store(const storage::Store& from, storage::Store& to) {
  TRY_ASSIGN(std::optional<storage::Value> config, from.get(Layout::config(), fs::kMaxFileSize));
  if (!config) return Error(Category::Vault, from.describe(), "is not a vault (no config.toml)");
  TRY_ASSIGN(std::optional<storage::Value> there, to.get(Layout::config(), fs::kMaxFileSize));
  if (there) return Error(Category::State, to.describe(), "holds a vault already; copy into an empty one");
  const std::vector<std::string> logs = {Layout::audit_log(), Layout::orders_log()};
  TRY_ASSIGN(const std::vector<storage::Listed> listed, from.list(""));
  std::vector<std::string> keys;
  for (const auto& l : listed)
    if (l.key != Layout::config() && !derived(l.key) && std::find(logs.begin(), logs.end(), l.key) == logs.end())
      keys.push_back(l.key);
  CopyReport report;
  storage::Change batch;
  auto flush = [&]() -> Status {
    if (batch.ops.empty()) return ok();
    TRY(to.apply(batch));
    batch = storage::Change{};
    return ok();
  };
  for (const auto& key : keys) {
    TRY_ASSIGN(std::optional<storage::Value> v, from.get(key, fs::kMaxCacheSize));
    if (!v) continue;  // removed since it was listed
    report.bytes += v->data.size();
    ++report.keys;
    batch.put(key, std::move(v->data));
    if (batch.ops.size() >= kBatchKeys) TRY(flush());
  }
  TRY(flush());
  for (const auto& log : logs) {
    TRY_ASSIGN(std::optional<storage::Value> v, from.get(log, fs::kMaxLogSize));
    if (!v || v->data.empty()) continue;
    report.bytes += v->data.size();
    ++report.logs;
    TRY(to.put(log, v->data));
  }
  TRY(to.put_if(Layout::config(), config->data, 0));
  report.bytes += config->data.size();
  ++report.keys;
  return report;
}

}  // namespace certctl::vault
