// Notifiers: a webhook (one JSON POST per event and run) or mail over SMTP, told about renewal
// failures, successes and certificates nearing expiry that renew does not renew (imported).
#include <certctl/fs.hpp>
#include <certctl/http.hpp>
#include <certctl/lifecycle.hpp>

#include "lifecycle/config_table.hpp"
#include "lifecycle/internal.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace certctl::lifecycle {
namespace {

using Json = nlohmann::ordered_json;
constexpr std::string_view kKind = "notify";
constexpr int kReminderDays[] = {7, 3, 1};

/// The host the messages name: the vault's (--host / CERTCTL_HOST / the host name).
std::string host_of(Context ctx) {
  return ctx.vault.host().empty() ? vault::host_name() : ctx.vault.host();
}


vault::NamedConfig to_config(const NotifierSpec& s, UnixTime now) {
  vault::NamedConfig c;
  c.name = s.name;
  c.type = s.type;
  c.created = now;
  detail::to_options(notifier_options(), s, c.options);
  return c;
}

Result<NotifierSpec> from_config(const vault::NamedConfig& c) {
  NotifierSpec s;
  s.name = c.name;
  s.type = c.type;
  TRY(detail::from_options(notifier_options(), c.options, s, fmt::format("notifier '{}'", c.name)));
  return s;
}

Status validate(const NotifierSpec& s) {
  TRY(vault::validate_name(s.name));
  const std::string who = fmt::format("notifier '{}'", s.name);
  if (s.type == "webhook") {
    if (s.url.rfind("https://", 0) != 0 && s.url.rfind("http://", 0) != 0)
      return Error(Category::Usage, "--webhook", fmt::format("'{}' is not an http:// or https:// URL", s.url));
  } else if (s.type == "email") {
    if (s.url.rfind("smtp://", 0) != 0 && s.url.rfind("smtps://", 0) != 0)
      return Error(Category::Usage, "--smtp", fmt::format("'{}' is not an smtp:// or smtps:// URL", s.url));
    if (s.from.find('@') == std::string::npos) return Error(Category::Usage, "--from", "needs a mail address");
    if (s.to.empty()) return Error(Category::Usage, "--to", "needs at least one mail address");
    for (const auto& a : s.to)
      if (a.find('@') == std::string::npos || a.find_first_of("<>\r\n ") != std::string::npos)
        return Error(Category::Usage, "--to", fmt::format("'{}' is not a mail address", a));
    if (!s.password_env.empty() && s.user.empty())
      return Error(Category::Usage, "--smtp-password-env", "needs --smtp-user");
  } else {
    return Error(Category::Usage, who, "needs --webhook URL or --smtp URL");
  }
  if (s.events.empty()) return Error(Category::Usage, "--on", "names no event (failure, success, expiring)");
  for (const auto& e : s.events)
    if (e != "failure" && e != "success" && e != "expiring")
      return Error(Category::Usage, "--on", fmt::format("'{}' is not failure, success or expiring", e));
  if (s.expiring_days < 1 || s.expiring_days > kMaxExpiringDays)
    return Error(Category::Usage, "--expiring-days", fmt::format("must be 1..{}", kMaxExpiringDays));
  return ok();
}

struct Item {
  std::string name, domain, ca, status, reason, error;
  std::optional<long> days;
  UnixTime not_after = 0;
};

std::string subject_for(std::string_view host, std::string_view event, std::size_t n) {
  if (event == "failure") return fmt::format("certctl on {}: {} certificate(s) failed to renew", host, n);
  if (event == "success") return fmt::format("certctl on {}: {} certificate(s) renewed", host, n);
  if (event == "test") return fmt::format("certctl on {}: test notification", host);
  return fmt::format("certctl on {}: {} certificate(s) expire soon", host, n);
}

Status send(const http::ClientFactory& http, std::string_view host, const NotifierSpec& n, std::string_view event,
            const std::vector<Item>& items, UnixTime now) {
  if (n.type == "webhook") {
    Json j;
    j["event"] = event;
    j["host"] = host;
    j["time"] = format_rfc3339(now);
    j["summary"] = subject_for(host, event, items.size());
    j["certificates"] = Json::array();
    for (const auto& i : items) {
      Json c;
      c["name"] = i.name;
      c["domain"] = i.domain;
      c["ca"] = i.ca;
      c["status"] = i.status;
      c["days_remaining"] = i.days ? Json(*i.days) : Json(nullptr);
      c["not_after"] = i.not_after ? Json(format_rfc3339(i.not_after)) : Json(nullptr);
      c["reason"] = i.reason.empty() ? Json(nullptr) : Json(i.reason);
      c["error"] = i.error.empty() ? Json(nullptr) : Json(i.error);
      j["certificates"].push_back(std::move(c));
    }
    http::ClientOptions o;
    o.ca_bundle = n.ca_bundle;
    o.timeout_s = 15;
    auto client = http(o);
    http::Request req;
    req.method = "POST";
    req.url = n.url;
    req.headers = {{"Content-Type", "application/json"}};
    req.body = j.dump(-1, ' ', false, Json::error_handler_t::replace);
    TRY_ASSIGN(http::Response resp, client->send(req));
    if (resp.status < 200 || resp.status > 299)
      return Error(Category::Network, fmt::format("notifier '{}'", n.name),
                   fmt::format("the webhook {} answered HTTP {}", n.url, resp.status));
    return ok();
  }
  http::Mail m;
  m.server = n.url;
  m.starttls = n.starttls;
  m.ca_bundle = n.ca_bundle;
  m.from = n.from;
  m.to = n.to;
  m.subject = subject_for(host, event, items.size());
  m.user = n.user;
  if (!n.password_env.empty()) {
    const char* pw = std::getenv(n.password_env.c_str());
    if (!pw) return Error(Category::Config, fmt::format("notifier '{}'", n.name),
                          fmt::format("${} (its SMTP password) is not set", n.password_env));
    m.password = pw;
  }
  m.body = m.subject + "\n\n";
  for (const auto& i : items) {
    m.body += fmt::format("{} ({}): {}", i.name, i.domain, i.status);
    if (i.days) m.body += fmt::format(", {} days left", *i.days);
    if (!i.reason.empty()) m.body += ", " + i.reason;
    if (!i.error.empty()) m.body += "\n  error: " + i.error;
    m.body += '\n';
  }
  Status st = http::send_mail(m);
  std::fill(m.password.begin(), m.password.end(), '\0');
  if (!st) return Error(st.error().category(), fmt::format("notifier '{}'", n.name), st.error().text());
  return ok();
}

bool wants(const NotifierSpec& n, std::string_view event) {
  return std::find(n.events.begin(), n.events.end(), event) != n.events.end();
}

/// Which reminder a certificate with `days` left is due for: 1 = entered the window,
/// 2..4 = 7, 3, 1 days left, 5 = expired.
int reminder_stage(long days, int window) {
  if (days < 0) return 5;
  int stage = days <= window ? 1 : 0;
  for (int i = 0; i < 3; ++i)
    if (days <= kReminderDays[i] && days <= window) stage = 2 + i;
  return stage;
}

Item item_of(const vault::Record& r, UnixTime now) {
  return Item{r.name, r.domain, r.issued_by.empty() ? r.ca : r.issued_by,
              std::string(vault::status_name(vault::effective_status(r, now))), "", "", vault::days_remaining(r, now),
              r.cert ? r.cert->not_after : 0};
}

/// What a renew run tells the "failure" and "success" events.
struct Outcomes {
  std::vector<Item> failed, renewed;
};

Outcomes outcomes_of(const RenewReport& report, const std::vector<vault::Record>& all, UnixTime now) {
  auto record_of = [&](const std::string& name) -> const vault::Record* {  // `all` is sorted by name
    auto it = std::lower_bound(all.begin(), all.end(), name,
                               [](const vault::Record& r, const std::string& n) { return r.name < n; });
    return it == all.end() || it->name != name ? nullptr : &*it;
  };
  Outcomes out;
  for (const auto& it : report.items) {
    const vault::Record* r = record_of(it.name);
    if (!r) continue;
    Item i = item_of(*r, now);
    i.reason = it.reason;
    if (is_failure(it.outcome)) {
      i.status = std::string(to_string(it.outcome));
      i.error = it.error;
      out.failed.push_back(std::move(i));
    } else if (it.outcome == RenewOutcome::Renewed) {
      i.status = std::string(to_string(it.outcome));
      if (it.not_after) {
        i.not_after = it.not_after;
        i.days = days_until(now, it.not_after);
      }
      out.renewed.push_back(std::move(i));
    }
  }
  return out;
}

/// The reminders a notifier is due, and the stages to mark as sent once it has them.
struct Expiring {
  struct Mark {
    std::string key;
    int stage;
    UnixTime not_after;
  };
  std::vector<Item> items;
  std::vector<Mark> marks;
};

/// Reminder stages already sent, per notifier and record, for the current not_after
/// (<vault>/notify/reminders.json).
class Reminders {
 public:
  explicit Reminders(const vault::Vault& v) {
    if (auto text = v.store().get(vault::Layout::reminders(), fs::kMaxFileSize); text && *text) {
      state_ = Json::parse((*text)->data, nullptr, false);
      if (!state_.is_object()) state_ = Json::object();
    }
  }

  /// Imported certificates (renew does not renew them) at a reminder stage `n` was not sent yet.
  Expiring due(const NotifierSpec& n, const std::vector<vault::Record>& all, UnixTime now) const {
    Expiring out;
    for (const auto& r : all) {
      if (vault::renews_here(r.source) || !r.cert || r.status == vault::CertStatus::Revoked) continue;
      const long days = days_until(now, r.cert->not_after);
      const int stage = reminder_stage(days, n.expiring_days);
      if (stage == 0) continue;
      const std::string key = n.name + "/" + r.name;
      if (auto seen = state_.find(key); seen != state_.end() && seen->is_object() &&
                                        seen->value("not_after", UnixTime{0}) == r.cert->not_after &&
                                        seen->value("stage", 0) >= stage)
        continue;
      Item i = item_of(r, now);
      const std::string why = r.source == vault::Source::Discovered
                                  ? fmt::format("discovered at {}, so certctl does not renew it", r.seen_at)
                                  : std::string("imported, so certctl does not renew it");
      i.reason = days < 0 ? "expired; " + why : why;
      out.items.push_back(std::move(i));
      out.marks.push_back({key, stage, r.cert->not_after});
    }
    return out;
  }

  void mark(const std::vector<Expiring::Mark>& marks) {
    for (const auto& m : marks) {
      state_[m.key] = {{"not_after", m.not_after}, {"stage", m.stage}};
      changed_ = true;
    }
  }

  /// Write the state back (under the vault lock) when a reminder was sent.
  Status save(Context ctx) const {
    if (!changed_) return ok();
    TRY_ASSIGN(vault::VaultLock lock, ctx.vault.lock());
    TRY(ctx.vault.store().put(vault::Layout::reminders(), state_.dump(1)));
    return ok();
  }

 private:
  Json state_ = Json::object();
  bool changed_ = false;
};

}  // namespace

const ConfigTable<NotifierSpec>& notifier_options() {
  using N = NotifierSpec;
  static const ConfigTable<N> kOptions = {
      {"url", "url", "url", &N::url, true, false, "webhook: http(s):// URL; email: smtp:// or smtps:// server"},
      {"from", "from", "from", &N::from, false, false, "mail sender address"},
      {"to", "to", "to", &N::to, false, false, "mail recipients, comma-separated"},
      {"user", "user", "smtp_user", &N::user, false, false, "SMTP AUTH user"},
      {"password_env", "password-env", "smtp_password_env", &N::password_env, false, false,
       "variable holding the SMTP password"},
      {"starttls", "starttls", "starttls", &N::starttls, false, false, "upgrade smtp:// with STARTTLS"},
      {"ca_bundle", "ca-bundle", "ca_bundle", &N::ca_bundle, false, false, "PEM roots for the webhook's or server's TLS"},
      {"events", "events", "events", &N::events, false, false, "failure, success, expiring"},
      {"expiring_days", "expiring-days", "expiring_days", &N::expiring_days, false, false,
       "days before expiry to remind", 1, 365},
  };
  return kOptions;
}

Status notify_add(Context ctx, const NotifierSpec& spec) {
  TRY(validate(spec));
  return detail::save_named_config(ctx, kKind, to_config(spec, ctx.clock.now()), "notify-add", {{"type", spec.type}});
}

Result<std::vector<NotifierSpec>> notify_list(Context ctx) { return detail::load_all(ctx.vault, kKind, &from_config); }

Status notify_remove(Context ctx, const std::string& name) {
  return detail::remove_named_config(ctx, kKind, name, "notify-remove");
}

Status notify_test(Context ctx, const std::string& name) {
  TRY_ASSIGN(vault::NamedConfig c, detail::load_named_config(ctx, kKind, name));
  Item i{"test", "example.invalid", "", "test", "a test notification from `certctl notify test`", "", {}, 0};
  TRY_ASSIGN(NotifierSpec n, from_config(c));
  return send(ctx.http, host_of(ctx), n, "test", {i}, ctx.clock.now());
}

std::vector<Error> notify_after_renew(Context ctx, const RenewReport& report, const std::vector<vault::Record>& all) {
  auto notifiers = notify_list(ctx);
  if (!notifiers) return {notifiers.error()};
  if (notifiers->empty()) return {};
  const UnixTime now = ctx.clock.now();
  const Outcomes outcomes = outcomes_of(report, all, now);
  std::vector<Error> errors;
  Reminders reminders(ctx.vault);
  for (const auto& n : *notifiers) {
    auto deliver = [&](std::string_view event, const std::vector<Item>& items) {
      if (items.empty() || !wants(n, event)) return true;
      Status st = send(ctx.http, host_of(ctx), n, event, items, now);
      if (!st) errors.push_back(st.error());
      return static_cast<bool>(st);
    };
    deliver("failure", outcomes.failed);
    deliver("success", outcomes.renewed);
    if (!wants(n, "expiring")) continue;
    Expiring due = reminders.due(n, all, now);
    if (deliver("expiring", due.items)) reminders.mark(due.marks);
  }
  if (auto st = reminders.save(ctx); !st) errors.push_back(st.error());
  return errors;
}

}  // namespace certctl::lifecycle
