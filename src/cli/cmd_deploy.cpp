// certctl deploy add|list|remove|run: deploy targets for many records at once (every record,
// the records of some CAs, or a list): file paths with modes and owner, and hooks.
#include "cli/common.hpp"

#include <certctl/output.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace certctl::cli {

namespace {

Result<int> parse_mode(const std::string& s, std::string_view flag) {
  char* end = nullptr;
  const long v = std::strtol(s.c_str(), &end, 8);
  if (s.empty() || *end != '\0' || v < 0 || v > 0777)
    return Error(Category::Usage, std::string(flag), fmt::format("'{}' is not an octal file mode (e.g. 0640)", s));
  return static_cast<int>(v);
}

}  // namespace

void setup_deploy(CLI::App& app, Globals& g) {
  CLI::App* dep = app.add_subcommand("deploy", "Deploy targets: files and hooks for every record, a CA's records or a list");
  dep->require_subcommand(1);

  struct AddOpts {
    lifecycle::DeployTarget t;
    std::string mode = "0644", key_mode = "0600";
  };
  auto a = std::make_shared<AddOpts>();
  CLI::App* add = dep->add_subcommand("add", "Add (or replace) a deploy target");
  add->add_option("name", a->t.name, "Its name")->required();
  add->add_option("--ca", a->t.cas, "Only records of this CA (repeat or comma-separate)")->delimiter(',');
  add->add_option("--record", a->t.records, "Only these records (repeat or comma-separate)")->delimiter(',');
  add->add_option("--cert", a->t.cert, "Write the certificate here ({name} and {domain} are filled in)");
  add->add_option("--chain", a->t.chain, "Write the intermediate certificates here");
  add->add_option("--fullchain", a->t.fullchain, "Write certificate + intermediates here");
  add->add_option("--key", a->t.key, "Write the private key here");
  add->add_option("--mode", a->mode, "Mode of the certificate files")->capture_default_str();
  add->add_option("--key-mode", a->key_mode, "Mode of the key file (never readable by others)")->capture_default_str();
  add->add_option("--owner", a->t.owner, "chown the files to USER[:GROUP]");
  add->add_option("--hook", a->t.hook, "Shell command run after each record is deployed (paths in CERTCTL_*_PATH)");
  add->add_option("--pre-hook", a->t.pre_hook, "Shell command run once before a renew run renews a record it covers");
  add->add_option("--post-hook", a->t.post_hook, "Shell command run once after such a run");
  add->footer("Without --ca and --record the target covers every record. Targets apply after each issue and\n"
              "renewal, after the record's own --deploy-dir/--deploy-hook.");
  add->callback([&g, a] {
    g.action = [&g, a]() -> Status {
      TRY_ASSIGN(a->t.mode, parse_mode(a->mode, "--mode"));
      TRY_ASSIGN(a->t.key_mode, parse_mode(a->key_mode, "--key-mode"));
      TRY_ASSIGN(Session s, open_session(g));
      TRY(lifecycle::deploy_target_add(s.ctx(), a->t));
      note(g, fmt::format("deploy target '{}' added; it applies from the next issue or renewal "
                          "(or now: certctl deploy run {})", a->t.name, a->t.name));
      return ok();
    };
  });

  auto list_json = std::make_shared<bool>(false);
  CLI::App* list = dep->add_subcommand("list", "List deploy targets");
  list->add_flag("--json", *list_json, "Print a JSON array");
  list->callback([&g, list_json] {
    g.action = [&g, list_json]() -> Status {
      g.json_errors = *list_json;
      TRY_ASSIGN(Session s, open_session(g));
      TRY_ASSIGN(auto all, lifecycle::deploy_targets(s.ctx()));
      if (*list_json) {
        print_out(output::deploy_targets_json(all));
        return ok();
      }
      if (all.empty()) {
        note(g, "no deploy targets; add one with `certctl deploy add NAME --fullchain PATH --key PATH`");
        return ok();
      }
      std::string out = fmt::format("{:<16} {:<24} {}\n", "NAME", "COVERS", "FILES");
      for (const auto& t : all) {
        std::string covers = t.cas.empty() && t.records.empty() ? "every record" : "";
        if (!t.cas.empty()) covers = fmt::format("CA {}", fmt::join(t.cas, ","));
        if (!t.records.empty()) covers += (covers.empty() ? "" : "; ") + fmt::format("{}", fmt::join(t.records, ","));
        std::vector<std::string> files;
        for (const std::string* p : {&t.cert, &t.chain, &t.fullchain, &t.key})
          if (!p->empty()) files.push_back(*p);
        out += fmt::format("{:<16} {:<24} {}\n", t.name, covers, fmt::join(files, " "));
      }
      print_out(out);
      return ok();
    };
  });

  auto rm_name = std::make_shared<std::string>();
  CLI::App* remove = dep->add_subcommand("remove", "Remove a deploy target (deployed files stay)");
  remove->add_option("name", *rm_name, "Its name")->required();
  remove->callback([&g, rm_name] {
    g.action = [&g, rm_name]() -> Status {
      TRY_ASSIGN(Session s, open_session(g));
      TRY(lifecycle::deploy_target_remove(s.ctx(), *rm_name));
      note(g, fmt::format("deploy target '{}' removed", *rm_name));
      return ok();
    };
  });

  auto run_names = std::make_shared<std::vector<std::string>>();
  CLI::App* run = dep->add_subcommand("run", "Deploy records now (their own settings and every target that covers them)");
  run->add_option("name", *run_names, "Records to deploy")->required();
  run->callback([&g, run_names] {
    g.action = [&g, run_names]() -> Status {
      TRY_ASSIGN(Session s, open_unlocked(g));
      TRY_ASSIGN(auto targets, lifecycle::deploy_targets(s.ctx()));
      for (const auto& n : *run_names) {
        TRY(lifecycle::deploy(s.ctx(), n, "", targets));
        note(g, fmt::format("deployed '{}'", n));
      }
      return ok();
    };
  });
}

}  // namespace certctl::cli
