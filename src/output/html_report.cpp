// certctl report --html: the page's data and sections. Every text from the vault is either
// markup, through html_escape, or the inventory's data block, through script_json_string; the
// script builds its rows with textContent only, so a `<script>` in a subject or name stays
// text. The styles and the script are in html_assets.hpp.
#include <certctl/report.hpp>

#include "output/html_assets.hpp"

#include <algorithm>
#include <array>
#include <deque>
#include <map>

#include <fmt/format.h>

namespace certctl::output {

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string script_json_string(std::string_view text) {
  std::string out = "\"";
  out.reserve(text.size() + 2);
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      // Markup characters as escapes: the block can never hold "</script" or "<!--".
      case '<': case '>': case '&': out += fmt::format("\\u{:04x}", static_cast<unsigned>(c)); break;
      default:
        if (c < 0x20 || c == 0x7f) out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
        else out += static_cast<char>(c);
    }
  }
  out += '"';
  return out;
}

namespace {

constexpr long kDay = 86400;
constexpr int kStatusCount = static_cast<int>(vault::CertStatus::Revoked) + 1;
/// Names a row shows in full before "+N more".
constexpr std::size_t kNamesShown = 4;
/// The "expiring soon" threshold of the summary and the days colours.
constexpr long kSoonDays = 30;
constexpr long kUrgentDays = 7;

std::string date_of(UnixTime t) { return format_rfc3339(t).substr(0, 10); }

/// "crit" (expired or within a week), "warn" (within the renewal threshold or 30 days), "".
std::string_view days_class(long days, int threshold) {
  if (days <= kUrgentDays) return "crit";
  if (days <= std::max<long>(threshold, kSoonDays)) return "warn";
  return "";
}

std::string ca_of(const vault::Record& r) {
  if (r.source != vault::Source::Managed && r.cert && !r.cert->issuer_cn.empty()) return r.cert->issuer_cn;
  if (!r.ca.empty()) return r.ca;
  return r.issued_by.empty() ? "-" : r.issued_by;
}

std::string subject_of(const vault::Record& r) {
  if (r.cert && !r.cert->subject_dn.empty()) return r.cert->subject_dn;
  std::string out;
  auto add = [&](std::string_view k, const std::string& v) {
    if (v.empty()) return;
    out += fmt::format("{}{}={}", out.empty() ? "" : ", ", k, v);
  };
  add("CN", r.domain);
  add("O", r.subject.o);
  add("OU", r.subject.ou);
  add("L", r.subject.l);
  add("ST", r.subject.st);
  add("C", r.subject.c);
  return out;
}

struct Attention {
  std::string name, ca, status, error, problem, next;
  int attempts = 0;
};

struct Pending {
  std::string name, domain, status, created;
};

/// A discovered record: where it was seen, the certificate there, and what it links to.
struct Sighting {
  std::string place, name, subject, issuer, expires, verify, linked;
  long days = 0;
  bool has_days = false;
  int linked_version = 0;
  UnixTime first_seen = 0, last_seen = 0;
};

struct ByCa {
  long total = 0, active = 0, soon = 0, expired = 0;
};

void th(std::string& out, std::string_view key, std::string_view label, std::string_view kind) {
  out += fmt::format("<th data-k=\"{}\" data-t=\"{}\" tabindex=\"0\" aria-sort=\"none\">{}</th>", key, kind, label);
}

}  // namespace

struct HtmlReport::State {
  Options o;
  std::string rows;  ///< the inventory's data: one JSON array per record, in vault order (see add)
  long total = 0;
  std::array<long, kStatusCount> by_status{};
  std::map<std::string, long> by_source;
  std::map<std::string, ByCa> by_ca;
  long soon = 0;  ///< active, expiring within kSoonDays
  std::vector<long> per_day;              ///< expiries on each day of the horizon
  std::vector<std::vector<std::string>> day_names;  ///< a few names per day, for the bar's title
  std::vector<Attention> failed;
  std::vector<Pending> pending;
  std::vector<Sighting> discovered;
  /// Each managed or imported record's current version, to tell which discovered places
  /// still serve an older one.
  std::map<std::string, int> versions;
  std::deque<vault::Vault::LoggedOrder> failed_orders;
  std::vector<std::pair<std::string, std::string>> unreadable;
};

HtmlReport::HtmlReport(Options o) : s_(std::make_unique<State>()) {
  o.horizon_days = std::clamp(o.horizon_days, 7, 366);
  s_->per_day.assign(static_cast<std::size_t>(o.horizon_days), 0);
  s_->day_names.resize(static_cast<std::size_t>(o.horizon_days));
  s_->o = std::move(o);
}
HtmlReport::~HtmlReport() = default;

void HtmlReport::add(const vault::Record& r) {
  State& s = *s_;
  const UnixTime now = s.o.now;
  const vault::CertStatus st = vault::effective_status(r, now);
  const std::string_view status = vault::status_name(st);
  const std::string_view source = vault::source_name(r.source);
  const std::string ca = ca_of(r);
  ++s.total;
  ++s.by_status[static_cast<std::size_t>(st)];
  ++s.by_source[std::string(source)];
  ByCa& c = s.by_ca[ca];
  ++c.total;

  const std::optional<long> days = vault::days_remaining(r, now);
  const bool live = st == vault::CertStatus::Active && days && *days >= 0;
  if (live) ++c.active;
  if (st == vault::CertStatus::Expired) ++c.expired;
  if (live && *days <= kSoonDays) {
    ++s.soon;
    ++c.soon;
  }
  if (live && r.cert) {
    const UnixTime left = r.cert->not_after - now;
    const auto day = static_cast<std::size_t>(left / kDay);
    if (left >= 0 && day < s.per_day.size()) {
      ++s.per_day[day];
      if (s.day_names[day].size() < 5) s.day_names[day].push_back(r.name);
    }
  }

  // The inventory row, as data (html_assets.hpp's script makes the table rows of what is shown):
  // [name, names, more names, subject, CA, status, expiry date, days left, days class, source].
  std::string names = r.domain;
  for (std::size_t i = 0; i < r.sans.size() && i < kNamesShown; ++i) names += ", " + r.sans[i];
  const std::size_t more = r.sans.size() > kNamesShown ? r.sans.size() - kNamesShown : 0;
  std::string expires = "\"\"", days_left = "null", cls;
  if (r.cert && days) {
    expires = fmt::format("\"{}\"", date_of(r.cert->not_after));
    days_left = std::to_string(*days);
    cls = days_class(*days, vault::auto_renew_days(r));
  }
  s.rows += fmt::format("{}[{},{},{},{},{},\"{}\",{},{},\"{}\",\"{}\"]", s.rows.empty() ? "" : ",\n",
                        script_json_string(r.name), script_json_string(names), more,
                        script_json_string(subject_of(r)), script_json_string(ca), status, expires, days_left, cls,
                        source);

  if (r.source == vault::Source::Discovered) {
    Sighting d{r.seen_at, r.name, r.cert ? r.cert->subject_dn : std::string(), r.cert ? r.cert->issuer_cn : std::string(),
               r.cert ? date_of(r.cert->not_after) : std::string(), r.verify_result, r.linked_to};
    d.has_days = days.has_value();
    d.days = days.value_or(0);
    d.linked_version = r.linked_version;
    d.first_seen = r.first_seen;
    d.last_seen = r.last_seen;
    s.discovered.push_back(std::move(d));
    return;  // never pending or failed: nothing is issued for it
  }
  s.versions[r.name] = r.version;
  if (st == vault::CertStatus::Error)
    s.failed.push_back({r.name, ca, std::string(status), r.last_error, r.last_problem,
                        r.next_attempt ? format_rfc3339(r.next_attempt) : std::string(), r.attempts});
  else if (st == vault::CertStatus::Pending || st == vault::CertStatus::Draft)
    s.pending.push_back({r.name, r.domain, std::string(status), r.created ? date_of(r.created) : std::string()});
}

void HtmlReport::add_orders(const std::vector<vault::Vault::LoggedOrder>& orders) {
  for (const auto& o : orders) {
    if (o.entry.status == "valid") continue;
    s_->failed_orders.push_back(o);
    if (s_->failed_orders.size() > kMaxFailedOrders) s_->failed_orders.pop_front();
  }
}

void HtmlReport::add_unreadable(std::string_view name, std::string_view problem) {
  s_->unreadable.emplace_back(std::string(name), std::string(problem));
}

namespace {

void card(std::string& out, std::string_view id, std::string_view label, long n, std::string_view cls = "") {
  out += fmt::format("<div class=\"card {}\" id=\"count-{}\"><b>{}</b><span>{}</span></div>", cls, id, n, label);
}

/// The expiry timeline: one bar per day of the horizon, its height the day's expiries.
std::string timeline_svg(const std::vector<long>& per_day, const std::vector<std::vector<std::string>>& names,
                         UnixTime now) {
  constexpr int kBar = 9, kLeft = 34, kTop = 12, kHeight = 140, kBottom = 34;
  const int n = static_cast<int>(per_day.size());
  const int width = kLeft + n * kBar + 10;
  const long peak = std::max<long>(1, *std::max_element(per_day.begin(), per_day.end()));
  std::string out = fmt::format(
      "<svg id=\"timeline-svg\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" "
      "height=\"{h}\" role=\"img\" aria-label=\"Expiries per day over the next {n} days\">",
      fmt::arg("w", width), fmt::arg("h", kTop + kHeight + kBottom), fmt::arg("n", n));
  out += fmt::format("<line class=\"axis\" x1=\"{l}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\"/>", fmt::arg("l", kLeft),
                     fmt::arg("b", kTop + kHeight), fmt::arg("r", kLeft + n * kBar));
  out += fmt::format("<text class=\"lbl\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>", kLeft - 4, kTop + 8, peak);
  out += fmt::format("<text class=\"lbl\" x=\"{}\" y=\"{}\" text-anchor=\"end\">0</text>", kLeft - 4, kTop + kHeight);
  for (int d = 0; d < n; ++d) {
    const int x = kLeft + d * kBar;
    if (d % 7 == 0) {
      out += fmt::format("<line class=\"tick\" x1=\"{x}\" y1=\"{t}\" x2=\"{x}\" y2=\"{b}\"/>", fmt::arg("x", x),
                         fmt::arg("t", kTop + kHeight), fmt::arg("b", kTop + kHeight + 5));
      out += fmt::format("<text class=\"lbl\" x=\"{}\" y=\"{}\">{}</text>", x, kTop + kHeight + 18,
                         date_of(now + static_cast<UnixTime>(d) * kDay).substr(5));
    }
    const long count = per_day[static_cast<std::size_t>(d)];
    if (count == 0) continue;
    const int h = std::max(2, static_cast<int>(count * kHeight / peak));
    const std::string_view cls = d <= kUrgentDays ? "crit" : d <= kSoonDays ? "warn" : "ok";
    std::string title = fmt::format("{}: {} expir{}", date_of(now + static_cast<UnixTime>(d) * kDay), count,
                                    count == 1 ? "es" : "e");
    const auto& shown = names[static_cast<std::size_t>(d)];
    for (std::size_t i = 0; i < shown.size(); ++i) title += (i ? ", " : " (") + html_escape(shown[i]);
    if (!shown.empty()) title += count > static_cast<long>(shown.size()) ? ", ...)" : ")";
    out += fmt::format("<rect class=\"bar {}\" data-day=\"{}\" data-n=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" "
                       "height=\"{}\"><title>{}</title></rect>",
                       cls, d, count, x + 1, kTop + kHeight - h, kBar - 2, h, title);
  }
  out += fmt::format("<text class=\"lbl\" x=\"{}\" y=\"{}\">days from today</text></svg>", kLeft,
                     kTop + kHeight + kBottom - 2);
  return out;
}

}  // namespace

std::string HtmlReport::render() const {
  const State& s = *s_;
  std::string out;
  out.reserve(s.rows.size() + 64 * 1024);
  out += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  // Nothing may be fetched: the policy forbids every source but the page's own inline parts.
  out += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
         "script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += fmt::format("<title>certctl report: {} certificate{}</title>\n", s.total, s.total == 1 ? "" : "s");
  out += "<style>";
  out += html_assets::kStyle;
  out += "</style></head>\n<body>\n";
  out += fmt::format("<header><h1>Certificate inventory</h1><p id=\"generated\">{} certificate{} in {}, "
                     "generated {} by certctl {}</p></header>\n",
                     s.total, s.total == 1 ? "" : "s", html_escape(s.o.vault), format_rfc3339(s.o.now),
                     html_escape(s.o.version));

  // Counts: by status, by source, by CA.
  out += "<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">";
  card(out, "total", "certificates", s.total);
  card(out, "soon", fmt::format("expire within {} days", kSoonDays), s.soon, s.soon ? "warn" : "");
  for (int i = 0; i < kStatusCount; ++i) {
    const std::string_view name = vault::status_name(static_cast<vault::CertStatus>(i));
    card(out, name, name, s.by_status[static_cast<std::size_t>(i)], fmt::format("st-{}", name));
  }
  out += "</div>\n<div class=\"twocol\"><table id=\"by-ca\"><caption>By CA</caption><thead><tr><th>CA</th>"
         "<th>certificates</th><th>active</th>";
  out += fmt::format("<th>expire within {} days</th><th>expired</th></tr></thead><tbody>", kSoonDays);
  for (const auto& [ca, c] : s.by_ca)
    out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", html_escape(ca), c.total,
                       c.active, c.soon, c.expired);
  out += "</tbody></table><table id=\"by-source\"><caption>By source</caption><thead><tr><th>source</th>"
         "<th>certificates</th></tr></thead><tbody>";
  for (const auto& [src, n] : s.by_source) out += fmt::format("<tr><td>{}</td><td>{}</td></tr>", src, n);
  out += "</tbody></table></div></section>\n";

  long in_horizon = 0;
  for (long n : s.per_day) in_horizon += n;
  out += fmt::format("<section id=\"timeline\"><h2>Expiries in the next {} days</h2><p><span id=\"timeline-total\">{}"
                     "</span> certificate{} expire{} from {} to {}.</p>",
                     s.per_day.size(), in_horizon, in_horizon == 1 ? "" : "s", in_horizon == 1 ? "s" : "",
                     date_of(s.o.now), date_of(s.o.now + static_cast<UnixTime>(s.per_day.size()) * kDay));
  out += timeline_svg(s.per_day, s.day_names, s.o.now);
  out += "</section>\n";

  // The inventory: the script sorts (click a heading) and filters (the controls, or the URL's
  // #q=&status=&source=&within=&sort=&dir=).
  out += "<section id=\"inventory\"><h2>Inventory</h2><form id=\"filters\" onsubmit=\"return false\">"
         "<input id=\"q\" type=\"search\" placeholder=\"Filter: name, domain, subject, CA\" aria-label=\"Filter\">"
         "<select id=\"status\" aria-label=\"Status\"><option value=\"\">any status</option>";
  for (int i = 0; i < kStatusCount; ++i) {
    const std::string_view name = vault::status_name(static_cast<vault::CertStatus>(i));
    out += fmt::format("<option>{}</option>", name);
  }
  out += "</select><select id=\"source\" aria-label=\"Source\"><option value=\"\">any source</option>";
  for (const auto& [src, n] : s.by_source) out += fmt::format("<option>{}</option>", src);
  out += "</select><select id=\"within\" aria-label=\"Expiry\"><option value=\"\">any expiry</option>"
         "<option value=\"0\">expired</option><option value=\"7\">within 7 days</option>"
         "<option value=\"30\">within 30 days</option><option value=\"90\">within 90 days</option></select>";
  out += fmt::format(" <span id=\"shown\">{}</span> of <span id=\"total\">{}</span> shown</form>\n", s.total, s.total);
  out += "<table id=\"certs\"><thead><tr>";
  th(out, "name", "Name", "text");
  th(out, "names", "Names", "text");
  th(out, "subject", "Subject", "text");
  th(out, "ca", "CA", "text");
  th(out, "status", "Status", "text");
  th(out, "expires", "Expires", "num");
  th(out, "days", "Days left", "num");
  th(out, "source", "Source", "text");
  out += "</tr></thead><tbody></tbody></table>"
         "<p id=\"more\" hidden><button type=\"button\" id=\"show-more\">Show more</button> "
         "<button type=\"button\" id=\"show-all\">Show all</button></p>"
         "<noscript><p>The inventory table needs JavaScript.</p></noscript>\n";
  // The data: JSON, parsed by the script, never run. script_json_string escapes <, > and &.
  out += "<script type=\"application/json\" id=\"inventory-data\">[\n";
  out += s.rows;
  out += "\n]</script></section>\n";

  out += fmt::format("<section id=\"failed\"><h2>Failed (<span class=\"n\">{}</span>)</h2>", s.failed.size());
  if (s.failed.empty()) {
    out += "<p>No record is in status error.</p>";
  } else {
    out += "<table><thead><tr><th>Name</th><th>CA</th><th>Error</th><th>Problem</th><th>Attempts</th>"
           "<th>Next attempt</th></tr></thead><tbody>";
    for (const auto& f : s.failed)
      out += fmt::format("<tr data-s=\"error\"><td>{}</td><td>{}</td><td class=\"err\">{}</td><td>{}</td><td>{}</td>"
                         "<td>{}</td></tr>",
                         html_escape(f.name), html_escape(f.ca), html_escape(f.error), html_escape(f.problem),
                         f.attempts, f.next);
    out += "</tbody></table>";
  }
  out += fmt::format("</section>\n<section id=\"pending\"><h2>Pending (<span class=\"n\">{}</span>)</h2>",
                     s.pending.size());
  if (s.pending.empty()) {
    out += "<p>No record waits for issuance.</p>";
  } else {
    out += "<table><thead><tr><th>Name</th><th>Domain</th><th>Status</th><th>Created</th></tr></thead><tbody>";
    for (const auto& p : s.pending)
      out += fmt::format("<tr data-s=\"{}\"><td>{}</td><td>{}</td><td class=\"s\">{}</td><td>{}</td></tr>", p.status,
                         html_escape(p.name), html_escape(p.domain), p.status, p.created);
    out += "</tbody></table>";
  }
  out += fmt::format("</section>\n<section id=\"orders\"><h2>Failed orders (<span class=\"n\">{}</span>)</h2>",
                     s.failed_orders.size());
  if (s.failed_orders.empty()) {
    out += "<p>orders.log holds no failed attempt.</p>";
  } else {
    out += fmt::format("<p>The newest {} failed attempts of orders.log, newest first.</p>", kMaxFailedOrders);
    out += "<table><thead><tr><th>Time</th><th>Name</th><th>CA</th><th>Type</th><th>Host</th><th>Error</th></tr>"
           "</thead><tbody>";
    for (auto it = s.failed_orders.rbegin(); it != s.failed_orders.rend(); ++it)
      out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"err\">{}</td></tr>",
                         html_escape(it->time), html_escape(it->entry.name), html_escape(it->entry.ca),
                         html_escape(it->entry.type), html_escape(it->host), html_escape(it->entry.error));
    out += "</tbody></table>";
  }
  out += "</section>\n";
  out += fmt::format("<section id=\"discovered\"><h2>Discovered (<span class=\"n\">{}</span>)</h2>",
                     s.discovered.size());
  if (s.discovered.empty()) {
    out += "<p>No certificate was discovered yet: <code>certctl discover tls HOST:PORT</code> or "
           "<code>certctl discover files DIR</code>.</p>";
  } else {
    out += "<table><thead><tr><th>Seen at</th><th>Record</th><th>Subject</th><th>Issuer</th><th>Expires</th>"
           "<th>Days left</th><th>Chain</th><th>First seen</th><th>Last seen</th><th>Managed as</th></tr></thead><tbody>";
    for (const auto& d : s.discovered) {
      std::string linked;
      if (!d.linked.empty()) {
        const auto it = s.versions.find(d.linked);
        const bool old = it != s.versions.end() && d.linked_version != 0 && d.linked_version < it->second;
        linked = old ? fmt::format("{} v{} <b class=\"err old\">old: current is v{}</b>", html_escape(d.linked),
                                   d.linked_version, it->second)
                     : fmt::format("{} v{}", html_escape(d.linked), d.linked_version);
      }
      // No renewal threshold of its own: coloured like a record with the default 30 days.
      const std::string_view cls = d.has_days ? days_class(d.days, 0) : "";
      const std::string days = !d.has_days    ? "<td></td>"
                               : cls.empty() ? fmt::format("<td>{}</td>", d.days)
                                             : fmt::format("<td class=\"{}\">{}</td>", cls, d.days);
      out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>{}<td>{}</td><td>{}</td>"
                         "<td>{}</td><td>{}</td></tr>",
                         html_escape(d.place), html_escape(d.name), html_escape(d.subject), html_escape(d.issuer),
                         d.expires, days, html_escape(d.verify), d.first_seen ? format_rfc3339(d.first_seen) : "",
                         d.last_seen ? format_rfc3339(d.last_seen) : "", linked);
    }
    out += "</tbody></table>";
  }
  out += "</section>\n";
  if (!s.unreadable.empty()) {
    out += fmt::format("<section id=\"unreadable\"><h2>Unreadable records ({})</h2><ul>", s.unreadable.size());
    for (const auto& [name, problem] : s.unreadable)
      out += fmt::format("<li><b>{}</b>: {}</li>", html_escape(name), html_escape(problem));
    out += "</ul></section>\n";
  }
  out += "<script>";
  out += html_assets::kScript;
  out += "</script>\n</body></html>\n";
  return out;
}

}  // namespace certctl::output
