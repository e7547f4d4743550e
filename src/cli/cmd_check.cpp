// certctl check [--warn-days N] [--crit-days N] [--prometheus FILE]: a monitoring plugin
// (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN) and a Prometheus textfile collector.
#include "cli/common.hpp"

#include <certctl/fs.hpp>

#include <algorithm>
#include <cstdio>
#include <iterator>
#include <optional>
#include <utility>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace certctl::cli {

namespace {

std::string label(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

/// The Prometheus textfile, one record at a time: each metric family's samples are gathered
/// under its HELP and TYPE lines, and the families joined at the end.
class PrometheusText {
 public:
  explicit PrometheusText(UnixTime now) : now_(now) {}
  void add(const vault::Record& r) {
    if (auto d = vault::days_remaining(r, now_))
      fmt::format_to(std::back_inserter(days_), "certctl_certificate_days_remaining{{name=\"{}\",domain=\"{}\"}} {}\n",
                     label(r.name), label(r.domain), *d);
    if (r.cert && r.cert->not_after)
      fmt::format_to(std::back_inserter(not_after_), "certctl_certificate_not_after_seconds{{name=\"{}\"}} {}\n",
                     label(r.name), r.cert->not_after);
    fmt::format_to(std::back_inserter(status_), "certctl_certificate_status{{name=\"{}\",status=\"{}\"}} 1\n",
                   label(r.name), vault::status_name(vault::effective_status(r, now_)));
    if (r.has_cert || !r.last_error.empty())
      fmt::format_to(std::back_inserter(success_), "certctl_certificate_last_issue_success{{name=\"{}\"}} {}\n",
                     label(r.name), r.last_error.empty() ? 1 : 0);
  }
  std::string text() const {
    return "# HELP certctl_certificate_days_remaining Whole days until the certificate expires (negative once expired).\n"
           "# TYPE certctl_certificate_days_remaining gauge\n" +
           days_ +
           "# HELP certctl_certificate_not_after_seconds Expiry time of the certificate (Unix seconds).\n"
           "# TYPE certctl_certificate_not_after_seconds gauge\n" +
           not_after_ +
           "# HELP certctl_certificate_status 1 for the record's current status.\n"
           "# TYPE certctl_certificate_status gauge\n" +
           status_ +
           "# HELP certctl_certificate_last_issue_success 1 when the last issuance or renewal succeeded, 0 when it "
           "failed.\n"
           "# TYPE certctl_certificate_last_issue_success gauge\n" +
           success_;
  }

 private:
  UnixTime now_;
  std::string days_, not_after_, status_, success_;
};

}  // namespace

void setup_check(CLI::App& app, Globals& g) {
  struct Opts {
    int warn_days = 21, crit_days = 7;
    std::string prometheus;
  };
  auto o = std::make_shared<Opts>();
  CLI::App* sub = app.add_subcommand("check", "Monitoring: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, one summary line");
  sub->add_option("--warn-days", o->warn_days, "WARNING when a certificate expires within N days")->capture_default_str();
  sub->add_option("--crit-days", o->crit_days, "CRITICAL when a certificate expires within N days")->capture_default_str();
  sub->add_option("--prometheus", o->prometheus, "Also write a Prometheus textfile-collector file (0644)");
  sub->footer("Looks at every record with a certificate that is not revoked; a record in error is a WARNING.");
  sub->callback([&g, o] {
    g.action = [&g, o]() -> Status {
      auto run = [&]() -> Status {
        if (o->crit_days < 0 || o->warn_days < o->crit_days)
          return Error(Category::Usage, "--warn-days", "must be at least --crit-days (and both at least 0)");
        TRY_ASSIGN(Session s, open_session(g));
        std::vector<vault::UnreadableRecord> unreadable;  // a record nobody can read cannot be watched: CRITICAL
        const UnixTime now = s.clock.now();
        std::vector<std::string> crit, warn, errors;
        std::size_t watched = 0;
        std::optional<std::pair<UnixTime, std::string>> soonest;  // not_after, name
        PrometheusText prometheus(now);
        // One record at a time: only names and counts are kept.
        TRY(s.vault.for_each_record(
            [&](vault::Record&& r) -> Status {
              if (!o->prometheus.empty()) prometheus.add(r);
              if (r.status == vault::CertStatus::Revoked) return ok();
              if (r.status == vault::CertStatus::Error) errors.push_back(r.name);
              auto d = vault::days_remaining(r, now);
              if (!d) return ok();
              ++watched;
              if (!soonest || r.cert->not_after < soonest->first) soonest.emplace(r.cert->not_after, r.name);
              std::string item = *d < 0 ? fmt::format("{} (expired)", r.name) : fmt::format("{} ({}d)", r.name, *d);
              if (*d <= o->crit_days) crit.push_back(std::move(item));
              else if (*d <= o->warn_days) warn.push_back(std::move(item));
              return ok();
            },
            &unreadable));
        if (!o->prometheus.empty()) {
          TRY(fs::write_user_file(o->prometheus, prometheus.text(), 0644));
        }
        std::string line;
        if (!crit.empty() || !unreadable.empty()) {
          g.exit_override = 2;
          line = "CERTCTL CRITICAL - ";
          if (!crit.empty())
            line += fmt::format("{} certificate(s) expire within {} days: {}", crit.size(), o->crit_days,
                                fmt::join(crit, ", "));
          if (!unreadable.empty())
            line += fmt::format("{}{} record(s) unreadable: {}", crit.empty() ? "" : "; ", unreadable.size(),
                                unreadable_names(unreadable));
        } else if (!warn.empty() || !errors.empty()) {
          g.exit_override = 1;
          line = "CERTCTL WARNING - ";
          if (!warn.empty())
            line += fmt::format("{} certificate(s) expire within {} days: {}", warn.size(), o->warn_days, fmt::join(warn, ", "));
          if (!errors.empty())
            line += fmt::format("{}{} in error: {}", warn.empty() ? "" : "; ", errors.size(), fmt::join(errors, ", "));
        } else {
          line = soonest ? fmt::format("CERTCTL OK - {} certificate(s), soonest {} in {} days", watched, soonest->second,
                                       days_until(now, soonest->first))
                         : "CERTCTL OK - no certificates";
        }
        print_out(line);
        return ok();
      };
      Status st = run();
      if (!st) {
        // Monitoring convention: anything that stops the check itself is UNKNOWN (3).
        print_out(fmt::format("CERTCTL UNKNOWN - {}", st.error().text()));
        g.exit_override = 3;
      }
      return ok();
    };
  });
}

}  // namespace certctl::cli
