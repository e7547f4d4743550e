// audit.log in the store: where the chain stands after the last line, and Vault::verify_audit.
#include <certctl/fs.hpp>

#include "vault/audit_chain.hpp"

namespace certctl::vault {
namespace audit {

std::optional<ChainState> state_after(std::string_view last_line) {
  if (last_line.empty()) return std::nullopt;
  auto line = split_line(last_line);
  if (!line) return std::nullopt;
  auto seq = line_fields(line->content).seq;
  if (!seq) return std::nullopt;
  return ChainState{*seq, line->chain};
}

}  // namespace audit

Result<AuditReport> Vault::verify_audit() const {
  if (!unlocked()) return Error(Category::Internal, where(Layout::audit_log()), "verify before unlock");
  TRY_ASSIGN(SecretBytes key, audit::derive_key(vault_key_));
  // Under the appenders' hold on the log, so no line is half written and audit.head matches it.
  std::optional<AuditReport> report;
  TRY(store_->update_log(Layout::audit_log(), [&](storage::LogView& view) -> Result<std::optional<storage::LogAppend>> {
    TRY_ASSIGN(std::string log, view.whole(fs::kMaxLogSize));
    TRY_ASSIGN(std::optional<storage::Value> head, store_->get(Layout::audit_head(), fs::kMaxFileSize));
    if (log.empty() && !head) {
      report = AuditReport{};
    } else {
      report = audit::verify(log, key, head ? std::optional<std::string>(std::move(head->data)) : std::nullopt);
    }
    return std::optional<storage::LogAppend>();
  }));
  return std::move(*report);
}

}  // namespace certctl::vault
