// certctl orders [NAME] [--json]: the orders log (every issuance attempt).
#include "cli/common.hpp"
#include "cli/named.hpp"

#include <certctl/output.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace certctl::cli {

namespace {

std::string orders_table(const std::vector<vault::Vault::LoggedOrder>& shown) {
  std::string out = fmt::format("{:<20}  {:<20} {:<18} {:<7} {:<6} {:<8} {:>8}  {}\n", "TIME", "NAME", "CA", "TYPE",
                                "STATUS", "USER", "SECONDS", "ERROR");
  for (const auto& e : shown)
    out += fmt::format("{:<20}  {:<20} {:<18} {:<7} {:<6} {:<8} {:>8.2f}  {}\n", e.time, e.entry.name, e.entry.ca,
                       e.entry.type, e.entry.status, e.user, e.entry.duration_s, e.entry.error);
  return out;
}

}  // namespace

void setup_orders(CLI::App& app, Globals& g) {
  struct Opts {
    std::string name;
    bool json = false;
  };
  auto bind = [](CLI::App& sub, Opts& o) {
    sub.add_option("name", o.name, "Only this record");
    sub.add_flag("--json", o.json, "Print a JSON array");
  };
  command<Opts>(app, g, "orders", "List issuance attempts: time, name, CA, type, status, who, duration", bind,
                [&g](Opts& o) -> Status {
                  g.json_errors = o.json;
                  TRY_ASSIGN(Session s, open_session(g));
                  TRY_ASSIGN(auto all, s.vault.read_orders());
                  std::vector<vault::Vault::LoggedOrder> shown;
                  for (auto& e : all)
                    if (o.name.empty() || e.entry.name == o.name) shown.push_back(std::move(e));
                  if (o.json)
                    print_out(output::orders_json(shown));
                  else if (shown.empty())
                    note(g, "no orders yet");
                  else
                    print_out(orders_table(shown));
                  return ok();
                });
}

}  // namespace certctl::cli
