// certctl report --html FILE: the whole inventory as one self-contained HTML page.
#include "cli/common.hpp"
#include "cli/named.hpp"

#include <certctl/fs.hpp>
#include <certctl/report.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <cstdio>

namespace certctl::cli {

void setup_report(CLI::App& app, Globals& g) {
  struct Opts {
    std::string html;
    int days = 90;
  };
  auto bind = [](CLI::App& sub, Opts& o) {
    sub.add_option("--html", o.html, "Write the page to FILE (0644, replaced atomically); - for stdout")
        ->required()
        ->type_name("FILE");
    sub.add_option("--days", o.days, "Days the expiry timeline spans (7-366, default 90)")
        ->check(CLI::Range(7, 366))
        ->type_name("DAYS");
    sub.footer(
        "The page needs no server and loads nothing: counts by status, source and CA, a timeline of expiries,\n"
        "the inventory (click a heading to sort; filter by text, status, source or expiry; the filter is kept in\n"
        "the URL after #), records in status error with their last error, pending records, and the newest failed\n"
        "attempts of orders.log, and the discovered certificates with where they were seen (marked old where a\n"
        "place still serves an older version of a record). The vault is not unlocked.");
  };
  command<Opts>(
      app, g, "report", "Write an HTML report of the whole inventory", bind, [&g](Opts& o) -> Status {
        TRY_ASSIGN(Session s, open_session(g));
        output::HtmlReport page({s.clock.now(), s.vault.describe(), o.days, CERTCTL_VERSION});
        std::vector<vault::UnreadableRecord> unreadable;
        TRY(s.vault.for_each_record(
            [&](vault::Record&& r) -> Status {
              page.add(r);
              return ok();
            },
            &unreadable));
        for (const auto& u : unreadable) page.add_unreadable(u.name, u.error.text());
        TRY_ASSIGN(auto orders, s.vault.read_orders());
        page.add_orders(orders);
        const std::string html = page.render();
        if (o.html == "-") {
          print_out(html);
        } else {
          TRY(fs::write_user_file(o.html, html, 0644));
          note(g, fmt::format("wrote {} ({} KiB)", o.html, (html.size() + 1023) / 1024));
        }
        report_skipped(g, unreadable);
        return ok();
      });
}

}  // namespace certctl::cli
