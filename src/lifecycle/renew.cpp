// renew: pick what is due (threshold, expiry, retries after errors with backoff) and renew it
// in one batch, under the renew lock so overlapping cron runs never renew a record twice. In a
// shared vault (PostgreSQL) there is no renew lock: renewers on many hosts claim the due
// records a few at a time with leases (issue_claimed), so each is renewed once and the work
// splits between them.
// The steps: select, pre hooks, start the responder child (when a due record answers http-01
// or tls-alpn-01 itself), unlock, deploy again what failed to deploy, issue, put each result on
// its item (by name), deploy the renewed, post hooks, notify.
#include <certctl/lifecycle.hpp>

#include "lifecycle/internal.hpp"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

namespace certctl::lifecycle {

std::string_view to_string(RenewOutcome o) {
  switch (o) {
    case RenewOutcome::NotDue: return "not due";
    case RenewOutcome::Skipped: return "skipped";
    case RenewOutcome::Renewed: return "renewed";
    case RenewOutcome::Validated: return "validated";
    case RenewOutcome::Deployed: return "deployed";
    case RenewOutcome::Failed: return "failed";
    case RenewOutcome::DeployFailed: return "deploy failed";
  }
  return {};
}

bool is_failure(RenewOutcome o) { return o == RenewOutcome::Failed || o == RenewOutcome::DeployFailed; }

bool RenewReport::any_failed() const {
  return hook_error || !unreadable.empty() || std::any_of(items.begin(), items.end(), [](const RenewItem& i) { return is_failure(i.outcome); });
}

namespace detail {

std::string due_reason(const vault::Record& r, UnixTime now, bool force, std::string_view local_issuer) {
  std::string why = vault::renew_reason(r, now, force);
  if (!why.empty() || local_issuer.empty()) return why;
  const bool local = r.ca == ca::kLocalCaName && r.issued_by == ca::kLocalCaName;
  if (!local || !r.cert || r.cert->issuer.empty() || r.cert->issuer == local_issuer) return {};
  // Whatever else would stop renew_reason (imported, revoked, backing off) stops this too:
  // it said "" for them; a record it would renew past the threshold is due anyway.
  if (r.source != vault::Source::Managed || r.status != vault::CertStatus::Active || r.next_attempt > now) return {};
  return fmt::format("the local CA rotated: issued by {}, signing now: {}", r.cert->issuer, local_issuer);
}

RenewPlan select_due(const std::vector<vault::Record>& all, const RenewRequest& req, UnixTime now,
                     std::string_view local_issuer) {
  const std::set<std::string> wanted(req.names.begin(), req.names.end());
  RenewPlan plan;
  plan.report.dry_run = req.dry_run;
  for (const auto& r : all) {
    if (!wanted.empty() && !wanted.count(r.name)) continue;
    ++plan.report.checked;
    const std::string why = due_reason(r, now, req.force, local_issuer);
    const RenewItem as_is{r.name, "", RenewOutcome::NotDue, "", 0, r.issued_by, r.cert ? r.cert->serial_hex : "",
                          r.cert ? r.cert->not_after : 0, {}};
    if (why.empty() && r.deploy_failed && r.has_cert && !req.dry_run) {
      // Issued, but the last deploy failed: deploy it again (skipped if the pre hook fails).
      plan.deploy_again.push_back(r.name);
      plan.report.items.push_back(as_is);
      plan.report.items.back().reason = "deploy retry";
      plan.report.items.back().outcome = RenewOutcome::Skipped;
    } else if (why.empty()) {
      if (wanted.empty()) continue;  // only records named on the command line say why not
      plan.report.items.push_back(as_is);
      plan.report.items.back().reason = r.source == vault::Source::Discovered
                                            ? fmt::format("discovered at {} (certctl does not renew what it finds)", r.seen_at)
                                        : r.source == vault::Source::Imported
                                            ? fmt::format("imported (renew it where it was issued, or here after `certctl "
                                                          "edit {} --ca CA --challenge ...`)",
                                                          r.name)
                                        : r.next_attempt > now ? "backing off until " + format_rfc3339(r.next_attempt)
                                                               : "not due";
    } else {
      plan.due.push_back(r.name);
      plan.report.items.push_back({r.name, why, RenewOutcome::Skipped, "", 0, "", "", 0, {}});
    }
  }
  return plan;
}

RenewItem* item_named(RenewReport& report, std::string_view name) {
  auto it = std::find_if(report.items.begin(), report.items.end(), [&](const RenewItem& i) { return i.name == name; });
  return it == report.items.end() ? nullptr : &*it;
}

std::vector<vault::Record> take_results(RenewReport& report, std::vector<IssueResult> results) {
  std::vector<vault::Record> renewed;
  for (auto& res : results) {
    RenewItem* item = item_named(report, res.name);
    if (!item) continue;
    for (const auto& w : res.warnings) item->warnings.push_back(w.text());
    if (!res) {
      item->outcome = RenewOutcome::Failed;
      item->error = res.error().text();
      item->exit_code = res.error().exit_code();
      continue;
    }
    item->outcome = report.dry_run ? RenewOutcome::Validated : RenewOutcome::Renewed;
    item->issued_by = res->issued_by;
    if (res->cert) {
      item->serial_hex = res->cert->serial_hex;
      item->not_after = res->cert->not_after;
    }
    renewed.push_back(std::move(res).value());
  }
  return renewed;
}

}  // namespace detail

namespace {

using detail::RenewPlan;

/// Every name given must be a record.
Status check_named(const std::vector<vault::Record>& all, const std::vector<vault::UnreadableRecord>& unreadable,
                   const std::vector<std::string>& names) {
  for (const auto& n : names)
    if (std::none_of(all.begin(), all.end(), [&n](const vault::Record& r) { return r.name == n; }) &&
        std::none_of(unreadable.begin(), unreadable.end(), [&n](const auto& u) { return u.name == n; }))
      return Error(Category::NotFound, n, "no such certificate in the vault (see `certctl list`)");
  return ok();
}

/// The deploy targets that cover a record of this run: their pre and post hooks join the run's.
std::vector<const DeployTarget*> run_targets(const std::vector<DeployTarget>& targets,
                                             const std::vector<vault::Record>& all, const RenewPlan& plan) {
  std::set<std::string> in_run(plan.due.begin(), plan.due.end());
  in_run.insert(plan.deploy_again.begin(), plan.deploy_again.end());
  std::vector<const DeployTarget*> out;
  for (const auto& t : targets)
    if (std::any_of(all.begin(), all.end(), [&](const vault::Record& r) { return in_run.count(r.name) && t.applies_to(r); }))
      out.push_back(&t);
  return out;
}

/// The run's own hook (`which` = "pre" or "post"), then each covering target's.
Status run_hooks(const char* which, const std::string& own, const std::vector<const DeployTarget*>& targets,
                 std::string DeployTarget::*hook) {
  TRY(run_hook(which, own));
  for (const DeployTarget* t : targets) TRY(run_hook(fmt::format("deploy target '{}' {}", t->name, which), t->*hook));
  return ok();
}

void deploy_into(Context ctx, RenewItem& item, const std::string& extra_hook, const std::vector<DeployTarget>& targets,
                 RenewOutcome success) {
  Status st = deploy(ctx, item.name, extra_hook, targets);
  if (st) {
    item.outcome = success;
  } else {
    item.outcome = RenewOutcome::DeployFailed;
    item.error = st.error().text();
    item.exit_code = st.error().exit_code();
  }
}

/// The request issue_many gets for the due records (what the CLI's issue would build).
IssueRequest issue_request(const RenewRequest& req) {
  IssueRequest ir;
  ir.renew = true;
  ir.dry_run = req.dry_run;
  ir.settings.reuse_key = req.reuse_key;
  ir.dns_resolver = req.dns_resolver;
  ir.dns_progress = req.dns_progress;
  ir.order_progress = req.order_progress;
  return ir;
}

/// The responder child for the due records' built-in responders, started before unlocking.
Result<std::shared_ptr<challenge::Responders>> start_responders(Context ctx, const RenewRequest& req,
                                                                const std::vector<std::string>& due) {
  if (!req.start_responders || due.empty()) return std::shared_ptr<challenge::Responders>();
  const std::vector<challenge::Endpoint> endpoints = responder_endpoints(ctx, due, issue_request(req));
  if (endpoints.empty()) return std::shared_ptr<challenge::Responders>();
  return req.start_responders(endpoints);
}

/// Extends the leases of the chunk being renewed every third of their TTL, so a slow order
/// (DNS propagation) keeps its claim; stops with the object.
class LeaseKeeper {
 public:
  explicit LeaseKeeper(std::chrono::seconds ttl) : every_(std::max<std::chrono::milliseconds>(ttl / 3, std::chrono::milliseconds(200))) {
    thread_ = std::thread([this] { run(); });
  }
  ~LeaseKeeper() {
    {
      std::lock_guard g(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void keep(std::vector<storage::Lease*> leases) {
    std::lock_guard g(mu_);
    leases_ = std::move(leases);
  }

 private:
  void run() {
    std::unique_lock g(mu_);
    while (!cv_.wait_for(g, every_, [this] { return stop_; }))
      for (storage::Lease* l : leases_) (void)l->renew();  // a lost lease shows as a refused commit
  }
  std::chrono::milliseconds every_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::vector<storage::Lease*> leases_;
  std::thread thread_;
};

/// A shared vault: claim the due records a chunk at a time (lease "renew/<name>" for this
/// host), check each again after its claim (another host may have renewed it since the plan
/// was made: its version moved on), and issue the chunk with every commit fenced by its lease.
/// A record another host holds is left to it.
std::vector<IssueResult> issue_claimed(Context ctx, const RenewRequest& req, const IssueRequest& ir,
                                       const std::vector<vault::Record>& all, RenewPlan& plan,
                                       std::string_view local_issuer) {
  std::map<std::string, int, std::less<>> planned;
  for (const auto& r : all) planned[r.name] = r.version;
  const std::size_t chunk = static_cast<std::size_t>(std::max(1, req.parallel));
  std::deque<std::string> unclaimed(plan.due.begin(), plan.due.end());
  std::vector<IssueResult> results;
  LeaseKeeper keeper(req.lease_ttl);
  while (!unclaimed.empty()) {
    std::vector<std::string> batch;
    std::vector<std::unique_ptr<storage::Lease>> held;
    auto fences = std::make_shared<vault::Vault::Fences>();
    while (batch.size() < chunk && !unclaimed.empty()) {
      const std::string name = std::move(unclaimed.front());
      unclaimed.pop_front();
      RenewItem* item = detail::item_named(plan.report, name);
      auto lease = ctx.vault.store().lease("renew/" + name, req.lease_ttl, ctx.vault.host());
      if (!lease) {
        results.push_back(IssueResult{name, std::move(lease).error(), {}});
        continue;
      }
      if (!*lease) {
        if (item) item->reason += "; claimed by another host";
        continue;
      }
      auto fresh = ctx.vault.load(name);
      if (!fresh) {
        results.push_back(IssueResult{name, std::move(fresh).error(), {}});
        continue;
      }
      const bool moved_on = fresh->version != planned[name];
      if (moved_on || detail::due_reason(*fresh, ctx.clock.now(), req.force, local_issuer).empty()) {
        if (item) {
          item->outcome = RenewOutcome::NotDue;
          // Another host renewed it, or tried and failed (it backs off now: its error says why).
          item->reason = moved_on ? "renewed meanwhile by another host"
                         : fresh->last_error.empty() ? "not due any more (another host took care of it)"
                                                     : "tried meanwhile by another host: " + fresh->last_error;
        }
        continue;
      }
      (*fences)[name] = (**lease).get();
      held.push_back(std::move(**lease));
      batch.push_back(name);
    }
    if (batch.empty()) continue;
    std::vector<storage::Lease*> kept;
    for (auto& l : held) kept.push_back(l.get());
    keeper.keep(kept);
    ctx.vault.set_fences(fences);
    auto part = issue_many(ctx, batch, ir, req.parallel);
    ctx.vault.set_fences(nullptr);
    keeper.keep({});
    for (auto& r : part) results.push_back(std::move(r));
  }
  return results;
}

/// Between the hooks: start the responder child (before any key is decrypted), unlock, deploy
/// again what failed to deploy, issue what is due, deploy the renewed.
Status renew_due(Context ctx, const RenewRequest& req, const std::vector<DeployTarget>& targets,
                 const std::vector<vault::Record>& all, RenewPlan& plan, std::string_view local_issuer) {
  RenewReport& report = plan.report;
  IssueRequest ir = issue_request(req);
  TRY_ASSIGN(ir.responders, start_responders(ctx, req, plan.due));
  if (req.unlock) TRY(req.unlock());
  for (const auto& name : plan.deploy_again)
    if (RenewItem* item = detail::item_named(report, name))
      deploy_into(ctx, *item, req.deploy_hook, targets, RenewOutcome::Deployed);
  std::vector<IssueResult> results;
  if (!plan.due.empty())
    results = ctx.vault.store().shared() ? issue_claimed(ctx, req, ir, all, plan, local_issuer) : issue_many(ctx, plan.due, ir, req.parallel);
  ir.responders.reset();  // the child exits now, not after the deploys and hooks
  for (const auto& r : detail::take_results(report, std::move(results)))
    if (!req.dry_run && (has_deploy(r, targets) || !req.deploy_hook.empty()))
      deploy_into(ctx, *detail::item_named(report, r.name), req.deploy_hook, targets, RenewOutcome::Renewed);
  return ok();
}

/// A run with something to do: the pre hooks first (they may free the responders' ports, e.g.
/// by stopping a web server), then renew_due, then the post hooks, which run even when
/// renew_due stopped early (so what the pre hook stopped starts again). False when the pre hook
/// failed, so nothing was tried.
Result<bool> carry_out(Context ctx, const RenewRequest& req, const std::vector<vault::Record>& all, RenewPlan& plan,
                       std::string_view local_issuer) {
  RenewReport& report = plan.report;
  TRY_ASSIGN(std::vector<DeployTarget> targets, deploy_targets(ctx));
  const std::vector<const DeployTarget*> hooked = run_targets(targets, all, plan);
  if (!req.dry_run) {
    if (Status pre = run_hooks("pre", req.pre_hook, hooked, &DeployTarget::pre_hook); !pre) {
      report.hook_error = pre.error();  // nothing renewed: the pre hook may have been needed
      return false;
    }
  }
  const Status renewed = renew_due(ctx, req, targets, all, plan, local_issuer);
  if (!req.dry_run)
    if (Status post = run_hooks("post", req.post_hook, hooked, &DeployTarget::post_hook); !post)
      report.hook_error = post.error();
  TRY(renewed);
  return true;
}

/// The records a run may act on, and how many it looked at.
struct Kept {
  std::vector<vault::Record> records;  ///< in name order
  std::size_t checked = 0;
};

/// Walk the vault one record at a time and keep only what this run may act on: the named
/// records (all of them), or those due, to deploy again or whose renewal window is to be asked
/// for again, and the imported certificates an expiry reminder may be due for. A no-op run over
/// 10,000 records then holds none of them.
Result<Kept> keep_for_run(Context ctx, const RenewRequest& req, UnixTime now, std::string_view local_issuer,
                          std::vector<vault::UnreadableRecord>& unreadable) {
  const std::set<std::string, std::less<>> wanted(req.names.begin(), req.names.end());
  Kept kept;
  auto matters = [&](const vault::Record& r) {
    if (!wanted.empty()) return true;
    if (!detail::due_reason(r, now, req.force, local_issuer).empty() || (r.deploy_failed && r.has_cert)) return true;
    if (!req.dry_run && detail::renewal_info_due(r, now)) return true;
    return req.notify && !req.dry_run && !vault::renews_here(r.source) && r.cert &&
           r.status != vault::CertStatus::Revoked && days_until(now, r.cert->not_after) <= kMaxExpiringDays;
  };
  TRY(ctx.vault.for_each_record(
      [&](vault::Record&& r) -> Status {
        if (!wanted.empty() && !wanted.count(r.name)) return ok();
        ++kept.checked;
        if (matters(r)) kept.records.push_back(std::move(r));
        return ok();
      },
      &unreadable));
  return kept;
}

}  // namespace

Result<RenewReport> renew(Context ctx, const RenewRequest& req) {
  for (const auto& n : req.names) TRY(vault::validate_name(n));
  detail::ensure_policy_run(ctx);
  // One run at a time per vault directory; a shared vault splits the work by leases instead.
  std::optional<vault::VaultLock> renew_lock;
  if (!ctx.vault.store().shared()) {
    TRY_ASSIGN(renew_lock, ctx.vault.renew_lock());
  }
  // Read after taking the lock: a run that waited sees what the previous one renewed.
  // A record that cannot be read is skipped and reported; it never stops the others.
  std::vector<vault::UnreadableRecord> unreadable;
  const UnixTime now = ctx.clock.now();
  // What signs local-CA leaves now: a record another root or intermediate signed is due.
  // A local CA that cannot be read moves nothing here (its records fail when they are issued).
  const auto current = ca::local_ca_current_issuer(ctx.vault);
  const std::string local_issuer = current ? *current : std::string();
  TRY_ASSIGN(Kept kept, keep_for_run(ctx, req, now, local_issuer, unreadable));
  std::vector<vault::Record>& all = kept.records;
  if (!req.names.empty())  // only the named ones matter to this run
    std::erase_if(unreadable, [&](const vault::UnreadableRecord& u) {
      return std::find(req.names.begin(), req.names.end(), u.name) == req.names.end();
    });
  TRY(check_named(all, unreadable, req.names));
  // Renewal windows whose Retry-After has passed are asked for again before deciding.
  if (!req.dry_run) detail::refresh_renewal_info(ctx, all, now);
  RenewPlan plan = detail::select_due(all, req, now, local_issuer);
  plan.report.checked = kept.checked;
  plan.report.unreadable = std::move(unreadable);
  if (!plan.due.empty() || !plan.deploy_again.empty()) {
    TRY_ASSIGN(const bool went_ahead, carry_out(ctx, req, all, plan, local_issuer));
    if (!went_ahead) return std::move(plan.report);  // the pre hook failed: no notifications
  }
  if (req.notify && !req.dry_run) plan.report.notify_errors = notify_after_renew(ctx, plan.report, all);
  return std::move(plan.report);
}

}  // namespace certctl::lifecycle
