// renew: pick what is due (threshold, expiry, retries after errors with backoff) and renew it
// in one batch, under the renew lock so overlapping cron runs never renew a record twice.
#include <certctl/lifecycle.hpp>

#include "lifecycle/internal.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace certctl::lifecycle {

bool RenewReport::any_failed() const {
  return std::any_of(items.begin(), items.end(), [](const RenewItem& i) { return i.outcome == "failed"; });
}

Result<RenewReport> renew(Context ctx, const RenewRequest& req) {
  for (const auto& n : req.names) TRY(vault::validate_name(n));
  TRY_ASSIGN(vault::VaultLock renew_lock, ctx.vault.renew_lock());
  // Read after taking the lock: a run that waited sees what the previous one renewed.
  TRY_ASSIGN(std::vector<vault::Record> all, ctx.vault.load_all());
  const UnixTime now = ctx.clock.now();
  std::set<std::string> wanted(req.names.begin(), req.names.end());
  for (const auto& n : wanted)
    if (std::none_of(all.begin(), all.end(), [&n](const vault::Record& r) { return r.name == n; }))
      return Error(Category::NotFound, n, "no such certificate in the vault (see `certctl list`)");

  RenewReport report;
  report.dry_run = req.dry_run;
  std::vector<std::string> due;
  for (const auto& r : all) {
    if (!wanted.empty() && !wanted.count(r.name)) continue;
    ++report.checked;
    const std::string why = vault::renew_reason(r, now, req.force);
    if (why.empty()) {
      if (!wanted.empty()) {
        std::string not_due = r.source == vault::Source::Imported ? "imported (renew it where it was issued)"
                              : r.next_attempt > now ? "backing off until " + format_rfc3339(r.next_attempt)
                                                     : "not due";
        report.items.push_back({r.name, not_due, "not due", "", 0, r.issued_by, r.cert ? r.cert->serial_hex : "",
                                r.cert ? r.cert->not_after : 0});
      }
      continue;
    }
    due.push_back(r.name);
    report.items.push_back({r.name, why, "", "", 0, "", "", 0});
  }
  if (due.empty()) return report;
  if (req.unlock) TRY(req.unlock());

  IssueRequest ir;
  ir.renew = true;
  ir.dry_run = req.dry_run;
  ir.settings.reuse_key = req.reuse_key;
  auto results = issue_many(ctx, due, ir, req.parallel);
  std::size_t k = 0;
  for (auto& item : report.items) {
    if (!item.outcome.empty()) continue;  // a named record that was not due
    auto& res = results[k++];
    if (res) {
      item.outcome = req.dry_run ? "validated" : "renewed";
      item.issued_by = res->issued_by;
      if (res->cert) {
        item.serial_hex = res->cert->serial_hex;
        item.not_after = res->cert->not_after;
      }
    } else {
      item.outcome = "failed";
      item.error = res.error().text();
      item.exit_code = res.error().exit_code();
    }
  }
  return report;
}

}  // namespace certctl::lifecycle
