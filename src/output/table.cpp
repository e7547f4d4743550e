#include <certctl/domain.hpp>
#include <certctl/output.hpp>
#include <certctl/record_fields.hpp>

#include <algorithm>

#include <fmt/format.h>

namespace certctl::output {
namespace {

constexpr std::string_view kReset = "\033[0m";
constexpr std::string_view kGreen = "\033[32m";
constexpr std::string_view kYellow = "\033[33m";
constexpr std::string_view kRed = "\033[31m";
constexpr std::string_view kDim = "\033[2m";
constexpr std::string_view kBold = "\033[1m";
constexpr std::string_view kMagenta = "\033[35m";

std::string_view status_color(vault::CertStatus s) {
  switch (s) {
    case vault::CertStatus::Active: return kGreen;
    case vault::CertStatus::Pending: return kYellow;
    case vault::CertStatus::Draft: return kDim;
    case vault::CertStatus::Revoked: return kMagenta;
    case vault::CertStatus::Expired:
    case vault::CertStatus::Error: return kRed;
  }
  return {};
}

/// Display width of UTF-8 text (code points; good enough for names and statuses).
std::size_t width(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

struct Cell {
  std::string text;
  std::string_view color;
};

std::string ca_column(const vault::Record& r) {
  if (!r.ca.empty()) return r.ca;
  return r.issued_by.empty() ? "-" : r.issued_by;
}

}  // namespace

namespace {
const std::vector<std::string>& table_headers() {
  static const std::vector<std::string> headers = {"NAME", "DOMAIN", "CA", "STATUS", "DAYS", "AUTO-RENEW"};
  return headers;
}
}  // namespace

struct RecordsTable::Rows {
  std::vector<std::vector<Cell>> cells;
};

RecordsTable::RecordsTable(UnixTime now, bool color) : rows_(std::make_unique<Rows>()), now_(now), color_(color) {}
RecordsTable::~RecordsTable() = default;

bool RecordsTable::empty() const { return rows_->cells.empty(); }

void RecordsTable::add(const vault::Record& r) {
  const vault::CertStatus st = vault::effective_status(r, now_);
  std::string domain = r.domain;
  if (!r.sans.empty()) domain += fmt::format(" (+{})", r.sans.size());
  std::string days = "-";
  std::string_view days_color;
  const int threshold = vault::auto_renew_days(r);
  if (auto d = vault::days_remaining(r, now_)) {
    days = std::to_string(*d);
    days_color = *d < 0 ? kRed : (*d <= threshold ? kYellow : std::string_view{});
  }
  std::string renew = !vault::renews_here(r.source) ? "no" : fmt::format("{}d", threshold);
  rows_->cells.push_back({{r.name, {}}, {std::move(domain), {}}, {ca_column(r), {}},
                          {std::string(vault::status_name(st)), status_color(st)}, {std::move(days), days_color},
                          {std::move(renew), {}}});
}

std::string RecordsTable::render() const {
  const auto& headers = table_headers();
  const auto& rows = rows_->cells;
  std::vector<std::size_t> w(headers.size());
  for (std::size_t i = 0; i < headers.size(); ++i) w[i] = headers[i].size();
  for (const auto& row : rows)
    for (std::size_t i = 0; i < row.size(); ++i) w[i] = std::max(w[i], width(row[i].text));

  std::string out;
  out.reserve((rows.size() + 1) * 96);
  auto emit = [&](const std::string& text, std::string_view col, std::size_t i, bool right) {
    const std::size_t pad = w[i] - width(text);
    if (right) out.append(pad, ' ');
    if (color_ && !col.empty()) fmt::format_to(std::back_inserter(out), "{}{}{}", col, text, kReset);
    else out += text;
    if (i + 1 < w.size()) {
      if (!right) out.append(pad, ' ');
      out += "  ";
    }
  };
  for (std::size_t i = 0; i < headers.size(); ++i) emit(headers[i], color_ ? kBold : std::string_view{}, i, i == 4);
  out += '\n';
  for (const auto& row : rows) {
    for (std::size_t i = 0; i < row.size(); ++i) emit(row[i].text, row[i].color, i, i == 4);
    out += '\n';
  }
  return out;
}

std::string discover_table(const lifecycle::DiscoverReport& report, UnixTime now) {
  const std::vector<std::string> headers = {"PLACE", "RESULT", "RECORD", "DOMAIN", "DAYS", "LINKED"};
  std::vector<std::vector<std::string>> rows;
  for (const auto& i : report.items) {
    const bool recorded = i.outcome != lifecycle::DiscoverOutcome::Failed && i.outcome != lifecycle::DiscoverOutcome::Skipped;
    std::string linked = "-";
    if (!i.linked_to.empty())
      linked = fmt::format("{} v{}{}", i.linked_to, i.linked_version, i.linked_current ? "" : " (old)");
    rows.push_back({printable(i.place), std::string(lifecycle::to_string(i.outcome)), recorded ? i.name : "-",
                    recorded && !i.domain.empty() ? printable(i.domain) : "-",
                    recorded && i.not_after ? std::to_string(days_until(now, i.not_after)) : "-", std::move(linked)});
  }
  std::vector<std::size_t> w(headers.size());
  for (std::size_t c = 0; c < headers.size(); ++c) w[c] = width(headers[c]);
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size(); ++c) w[c] = std::max(w[c], width(row[c]));
  std::string out;
  auto emit = [&](const std::vector<std::string>& row) {
    for (std::size_t c = 0; c < row.size(); ++c) {
      out += row[c];
      if (c + 1 < row.size()) out.append(w[c] - width(row[c]) + 2, ' ');
    }
    out += '\n';
  };
  emit(headers);
  for (const auto& row : rows) emit(row);
  return out;
}

std::string records_table(const std::vector<vault::Record>& records, UnixTime now, bool color) {
  RecordsTable t(now, color);
  for (const auto& r : records) t.add(r);
  return t.render();
}

namespace {

/// The `show` view, one "label: value" line at a time; empty values print nothing.
class DetailWriter {
 public:
  explicit DetailWriter(bool color) : color_(color) {}

  void line(std::string_view key, const std::string& value, std::string_view col = {}) {
    if (value.empty()) return;
    if (color_ && !col.empty()) fmt::format_to(std::back_inserter(out_), "{:<20} {}{}{}\n", key, col, value, kReset);
    else fmt::format_to(std::back_inserter(out_), "{:<20} {}\n", key, value);
  }

  /// The labelled fields of these sections, in table order (0 and "" print nothing).
  template <class T>
  void fields(std::span<const vault::Field<T>> table, const T& obj, std::initializer_list<std::string_view> sections) {
    for (const auto& f : table)
      if (!f.label.empty() && std::find(sections.begin(), sections.end(), f.section) != sections.end()) field(f, obj);
  }

  template <class T>
  void field(const vault::Field<T>& f, const T& obj) {
    std::string text;
    vault::visit_field(f, obj, vault::Overloaded{
        [&](const std::string& v) { text = v; },
        [&](int v) { text = v ? std::to_string(v) : ""; },
        [&](bool v) { text = v ? "yes" : "no"; },
        [&](UnixTime v) { text = format_rfc3339(v); },
        [&](const std::vector<std::string>& v) { text = fmt::format("{}", fmt::join(v, ", ")); },
        [&](vault::NamedEnum auto v) { text = vault::enum_name(v); },
    });
    line(f.label, text, f.flags & vault::kAlert ? kRed : std::string_view{});
  }

  std::string& out() { return out_; }

 private:
  bool color_;
  std::string out_;
};

void head_lines(DetailWriter& w, const vault::Record& r, UnixTime now) {
  const vault::CertStatus st = vault::effective_status(r, now);
  w.line("name:", r.name);
  std::string dom = r.domain;
  if (std::string u = domain::to_unicode(r.domain); u != r.domain) dom += " (" + u + ")";
  w.line("domain:", dom);
  if (!r.sans.empty()) w.line("sans:", fmt::format("{}", fmt::join(r.sans, ", ")));
  w.line("wildcard:", r.wildcard() ? "yes" : "no");
  w.line("status:", std::string(vault::status_name(st)), status_color(st));
  w.line("source:", std::string(vault::source_name(r.source)));
  w.line("ca:", r.ca.empty() ? "-" : r.ca);
  w.line("key type:", r.key_type);
  w.line("auto-renew:", !vault::renews_here(r.source)
                            ? fmt::format("no ({}; reminder at {} days)", vault::source_name(r.source), vault::auto_renew_days(r))
                            : fmt::format("{} days before expiry{}", vault::auto_renew_days(r),
                                          r.renew_days == 0 ? " (automatic)" : ""));
  if (auto d = vault::days_remaining(r, now)) w.line("days remaining:", std::to_string(*d));
  if (!r.ari.cert_id.empty() && r.ari.renew_at) {
    // The CA's suggested window (RFC 9773) decides instead of the threshold.
    w.line("renewal window:", fmt::format("{} .. {} (from the CA; renew at {})", format_rfc3339(r.ari.window_start),
                                          format_rfc3339(r.ari.window_end), format_rfc3339(r.ari.renew_at)));
    w.line("window why:", r.ari.explanation_url);
  }
}

std::string challenge_line(const vault::IssueSettings& is) {
  std::string how(vault::challenge_name(is.challenge));
  if (!is.dns.empty()) how += " via " + is.dns;
  if (!is.webroot.empty()) how += " webroot " + is.webroot;
  if (is.http_port) how += fmt::format(" port {}", is.http_port);
  if (is.tls_port) how += fmt::format(" tls port {}", is.tls_port);
  return how;
}

}  // namespace

std::string record_details(const vault::Record& r, UnixTime now, bool color, const DeployResults* deployed,
                           const std::vector<lifecycle::ServedPlace>* served) {
  DetailWriter w(color);
  head_lines(w, r, now);
  w.fields(vault::record_fields(), r, {"subject", "", "times", "discovered"});
  if (vault::renews_here(r.source)) {
    if (r.ca != "local") w.line("challenge:", challenge_line(r.settings));
    w.fields(vault::record_fields(), r, {"issue"});  // profile, chain, fallback, deploy: those set
  }
  if (r.cert) {
    w.line("issued by:", r.issued_by);
    w.fields(vault::cert_fields(), *r.cert, {"cert"});
  }
  std::string& out = w.out();
  if (deployed) {
    std::string lines;
    for (const auto& [host, results] : *deployed)
      if (auto it = results.find(r.name); it != results.end()) {
        const vault::DeployResult& d = it->second;
        fmt::format_to(std::back_inserter(lines), "  {:<20} {:<14} v{}{}  {}{}\n", host, vault::deploy_state_name(d.state),
                       d.version, d.version == r.version ? "" : " (behind)", format_rfc3339(d.at),
                       d.error.empty() ? "" : "  " + d.error);
      }
    if (!lines.empty()) out += "deployments:\n" + lines;
  }
  if (served && !served->empty()) {
    // Where discovery saw this record's certificates: a place still serving an old version
    // after a renewal is flagged.
    out += "served at:\n";
    for (const auto& p : *served) {
      const std::string which = p.current ? fmt::format("v{}", p.version)
                                          : fmt::format("v{} (old; current is v{})", p.version, r.version);
      const std::string_view col = !p.current && color ? kYellow : std::string_view{};
      fmt::format_to(std::back_inserter(out), "  {:<32} {}{}{}  last seen {}  ({})\n", printable(p.place), col, which,
                     col.empty() ? std::string_view{} : kReset, format_rfc3339(p.last_seen), p.record);
    }
  }
  if (!r.history.empty()) {
    out += "history:\n";
    for (auto it = r.history.rbegin(); it != r.history.rend(); ++it)
      fmt::format_to(std::back_inserter(out), "  v{:<4} {}  serial {}  until {}  ({})\n", it->version,
                     format_rfc3339(it->retired), it->serial_hex.empty() ? "-" : it->serial_hex,
                     it->not_after ? format_rfc3339(it->not_after) : "-", it->reason);
  }
  return std::move(out);
}

}  // namespace certctl::output
