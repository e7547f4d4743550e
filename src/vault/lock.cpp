#include <certctl/vault.hpp>

namespace certctl::vault {

Status Vault::after_lock() const {
  // Every change is audited after it lands, so an audit log that cannot take a line (a
  // directory in its place, a read-only file system) must stop the change before it starts.
  auto appendable = store_->update_log(Layout::audit_log(),
                                       [](storage::LogView&) -> Result<std::optional<storage::LogAppend>> {
                                         return std::optional<storage::LogAppend>();
                                       });
  if (!appendable)
    return Error(Category::Vault, where(Layout::audit_log()), "cannot append to the audit log, so nothing was changed",
                 appendable.error().cause().empty() ? appendable.error().message() : appendable.error().cause());
  // Leftovers of killed runs (certctl(1), FILES): deleted records and temp files.
  store_->sweep("");
  store_->sweep(Layout::certs());
  return ok();
}

Result<VaultLock> Vault::lock() const {
  TRY_ASSIGN(std::unique_ptr<storage::Held> held, store_->lock(".lock", std::chrono::seconds(60)));
  VaultLock lock(std::move(held));
  TRY(after_lock());
  return lock;
}

Result<VaultLock> Vault::renew_lock() const {
  TRY_ASSIGN(std::unique_ptr<storage::Held> held, store_->lock(".renew.lock", std::chrono::milliseconds::max()));
  return VaultLock(std::move(held));
}

}  // namespace certctl::vault
