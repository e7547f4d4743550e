// renew: pick what is due (threshold, expiry, retries after errors with backoff) and renew it
// in one batch, under the renew lock so overlapping cron runs never renew a record twice.
#include <certctl/lifecycle.hpp>

#include "lifecycle/internal.hpp"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace certctl::lifecycle {

bool RenewReport::any_failed() const {
  return hook_error || std::any_of(items.begin(), items.end(), [](const RenewItem& i) {
           return i.outcome == "failed" || i.outcome == "deploy failed";
         });
}

namespace {

void deploy_into(Context ctx, RenewItem& item, const std::string& extra_hook, const std::vector<DeployTarget>& targets,
                 const char* success) {
  Status st = deploy(ctx, item.name, extra_hook, targets);
  if (st) {
    item.outcome = success;
  } else {
    item.outcome = "deploy failed";
    item.error = st.error().text();
    item.exit_code = st.error().exit_code();
  }
}

}  // namespace

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
  // Renewal windows whose Retry-After has passed are asked for again before deciding.
  if (!req.dry_run) detail::refresh_renewal_info(ctx, all, now);

  RenewReport report;
  report.dry_run = req.dry_run;
  std::vector<std::string> due;
  std::vector<std::size_t> deploy_only;  // issued, but the last deploy failed
  for (const auto& r : all) {
    if (!wanted.empty() && !wanted.count(r.name)) continue;
    ++report.checked;
    const std::string why = vault::renew_reason(r, now, req.force);
    if (why.empty() && r.deploy_failed && r.has_cert && !req.dry_run) {
      deploy_only.push_back(report.items.size());
      report.items.push_back({r.name, "deploy retry", "", "", 0, r.issued_by, r.cert ? r.cert->serial_hex : "",
                              r.cert ? r.cert->not_after : 0});
      continue;
    }
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
  if (due.empty() && deploy_only.empty()) {
    if (req.notify && !req.dry_run) report.notify_errors = notify_after_renew(ctx, report, all);
    return report;
  }
  if (req.unlock) TRY(req.unlock());
  // Deploy targets covering a record of this run add their pre and post hooks to the run's.
  TRY_ASSIGN(std::vector<DeployTarget> targets, deploy_targets(ctx));
  std::set<std::string> in_run(due.begin(), due.end());
  for (std::size_t i : deploy_only) in_run.insert(report.items[i].name);
  std::vector<const DeployTarget*> run_targets;
  for (const auto& t : targets)
    if (std::any_of(all.begin(), all.end(), [&](const vault::Record& r) { return in_run.count(r.name) && t.applies_to(r); }))
      run_targets.push_back(&t);
  auto run_target_hooks = [&](const char* which, std::string DeployTarget::*hook) -> Status {
    for (const DeployTarget* t : run_targets)
      TRY(run_hook(fmt::format("deploy target '{}' {}", t->name, which), t->*hook));
    return ok();
  };
  if (!req.dry_run) {
    Status pre = run_hook("pre", req.pre_hook);
    if (pre) pre = run_target_hooks("pre", &DeployTarget::pre_hook);
    if (auto st = pre; !st) {
      report.hook_error = st.error();  // nothing renewed: the pre hook may have been needed
      for (auto& item : report.items)
        if (item.outcome.empty()) item.outcome = "skipped";
      return report;
    }
  }
  for (std::size_t i : deploy_only) deploy_into(ctx, report.items[i], req.deploy_hook, targets, "deployed");

  std::vector<Result<vault::Record>> results;
  IssueRequest ir;
  ir.renew = true;
  ir.dry_run = req.dry_run;
  ir.settings.reuse_key = req.reuse_key;
  ir.dns_resolver = req.dns_resolver;
  ir.dns_progress = req.dns_progress;
  if (!due.empty()) results = issue_many(ctx, due, ir, req.parallel);
  std::size_t k = 0;
  for (auto& item : report.items) {
    if (!item.outcome.empty()) continue;  // a named record that was not due, or deployed above
    auto& res = results[k++];
    if (res) {
      item.outcome = req.dry_run ? "validated" : "renewed";
      item.issued_by = res->issued_by;
      if (res->cert) {
        item.serial_hex = res->cert->serial_hex;
        item.not_after = res->cert->not_after;
      }
      if (!req.dry_run && (has_deploy(*res, targets) || !req.deploy_hook.empty()))
        deploy_into(ctx, item, req.deploy_hook, targets, "renewed");
    } else {
      item.outcome = "failed";
      item.error = res.error().text();
      item.exit_code = res.error().exit_code();
    }
  }
  if (!req.dry_run) {
    if (auto st = run_hook("post", req.post_hook); !st) {
      report.hook_error = st.error();
    } else if (auto tst = run_target_hooks("post", &DeployTarget::post_hook); !tst) {
      report.hook_error = tst.error();
    }
  }
  if (req.notify && !req.dry_run) report.notify_errors = notify_after_renew(ctx, report, all);
  return report;
}

}  // namespace certctl::lifecycle
