#include <certctl/vault.hpp>

namespace certctl::vault {

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
