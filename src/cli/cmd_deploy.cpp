// certctl deploy add|list|remove|run: deploy targets for many records at once (every record,
// the records of some CAs, or a list): file paths with modes and owner, and hooks.
#include "cli/common.hpp"
#include "cli/named.hpp"

#include <certctl/number.hpp>
#include <certctl/output.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace certctl::cli {

namespace {

Result<std::vector<lifecycle::DeployTarget>> load_targets(Session& s) { return lifecycle::deploy_targets(s.ctx()); }
Status remove_target(Session& s, const std::string& name) { return lifecycle::deploy_target_remove(s.ctx(), name); }
std::string removed(const std::string& name) { return fmt::format("deploy target '{}' removed", name); }

struct AddOpts {
  lifecycle::DeployTarget t;
  std::string mode = "0644", key_mode = "0600";
};

void bind_add(CLI::App& add, AddOpts& a) {
  add.add_option("name", a.t.name, "Its name")->required();
  add.add_option("--ca", a.t.cas, "Only records of this CA (repeat or comma-separate)")->delimiter(',');
  add.add_option("--record", a.t.records, "Only these records (repeat or comma-separate)")->delimiter(',');
  add.add_option("--cert", a.t.cert, "Write the certificate here ({name} and {domain} are filled in)");
  add.add_option("--chain", a.t.chain, "Write the intermediate certificates here");
  add.add_option("--fullchain", a.t.fullchain, "Write certificate + intermediates here");
  add.add_option("--key", a.t.key, "Write the private key here");
  add.add_option("--mode", a.mode, "Mode of the certificate files")->capture_default_str();
  add.add_option("--key-mode", a.key_mode, "Mode of the key file (never readable by others)")->capture_default_str();
  add.add_option("--owner", a.t.owner, "chown the files to USER[:GROUP]");
  add.add_option("--hook", a.t.hook, "Shell command run after each record is deployed (paths in CERTCTL_*_PATH)");
  add.add_option("--pre-hook", a.t.pre_hook, "Shell command run once before a renew run renews a record it covers");
  add.add_option("--post-hook", a.t.post_hook, "Shell command run once after such a run");
  add.add_option("--hosts", a.t.hosts, "Only on these hosts: their `certctl agent` deploys it (comma-separated)")
      ->delimiter(',');
  add.add_option("--labels", a.t.labels, "Only on hosts with one of these labels (comma-separated)")->delimiter(',');
  add.footer("Without --ca and --record the target covers every record. Targets apply after each issue and\n"
             "renewal, after the record's own --deploy-dir/--deploy-hook. A target with --hosts or --labels is\n"
             "deployed by the agents of those hosts instead, and records with --key-policy hybrid or device\n"
             "seal their keys to those hosts (`certctl host sync` seals keys issued before).");
}

Status run_add(Globals& g, AddOpts& a) {
  TRY_ASSIGN(a.t.mode, parse_number(a.mode, 0, 0777, NumberField{Category::Usage, "", "--mode"}, 8));
  TRY_ASSIGN(a.t.key_mode, parse_number(a.key_mode, 0, 0777, NumberField{Category::Usage, "", "--key-mode"}, 8));
  TRY_ASSIGN(Session s, open_session(g));
  TRY(lifecycle::deploy_target_add(s.ctx(), a.t));
  if (a.t.names_hosts())
    note(g, fmt::format("deploy target '{}' added; the agents of its hosts deploy it (run `certctl host sync` "
                        "to seal the keys of records already issued to its hosts)", a.t.name));
  else
    note(g, fmt::format("deploy target '{}' added; it applies from the next issue or renewal "
                        "(or now: certctl deploy run {})", a.t.name, a.t.name));
  return ok();
}

std::string targets_table(const std::vector<lifecycle::DeployTarget>& all) {
  std::string out = fmt::format("{:<16} {:<24} {}\n", "NAME", "COVERS", "FILES");
  for (const auto& t : all) {
    std::string covers = t.cas.empty() && t.records.empty() ? "every record" : "";
    if (!t.cas.empty()) covers = fmt::format("CA {}", fmt::join(t.cas, ","));
    if (!t.records.empty()) covers += (covers.empty() ? "" : "; ") + fmt::format("{}", fmt::join(t.records, ","));
    if (!t.hosts.empty()) covers += fmt::format(" on {}", fmt::join(t.hosts, ","));
    if (!t.labels.empty()) covers += fmt::format(" on label {}", fmt::join(t.labels, ","));
    std::vector<std::string> files;
    for (const std::string* p : {&t.cert, &t.chain, &t.fullchain, &t.key})
      if (!p->empty()) files.push_back(*p);
    out += fmt::format("{:<16} {:<24} {}\n", t.name, covers, fmt::join(files, " "));
  }
  return out;
}

Status run_deploy(Globals& g, const std::vector<std::string>& names) {
  TRY_ASSIGN(Session s, open_unlocked(g));
  TRY_ASSIGN(auto targets, lifecycle::deploy_targets(s.ctx()));
  for (const auto& n : names) {
    TRY(lifecycle::deploy(s.ctx(), n, "", targets));
    note(g, fmt::format("deployed '{}'", n));
  }
  return ok();
}

}  // namespace

void setup_deploy(CLI::App& app, Globals& g) {
  CLI::App* dep = group(app, "deploy", "Deploy targets: files and hooks for every record, a CA's records or a list");
  command<AddOpts>(*dep, g, "add", "Add (or replace) a deploy target", bind_add, &run_add);
  add_list(*dep, g, ListSpec{"List deploy targets", "Print a JSON array", &load_targets, &output::deploy_targets_json, &targets_table, "no deploy targets; add one with `certctl deploy add NAME --fullchain PATH --key PATH`"});
  add_remove(*dep, g, "Remove a deploy target (deployed files stay)", {}, &remove_target, &removed);
  command<std::vector<std::string>>(
      *dep, g, "run", "Deploy records now (their own settings and every target that covers them)",
      [](CLI::App& sub, std::vector<std::string>& names) { sub.add_option("name", names, "Records to deploy")->required(); },
      [&g](std::vector<std::string>& names) { return run_deploy(g, names); });
}

}  // namespace certctl::cli
