// certctl host add|list|remove: the hosts agents run on, each registered with the public key
// its `certctl agent enroll` made; and `agent enroll` itself, run on the host.
#include "cli/common.hpp"
#include "cli/named.hpp"

#include <certctl/fs.hpp>
#include <certctl/interrupt.hpp>
#include <certctl/number.hpp>
#include <certctl/output.hpp>
#include <certctl/pg_store.hpp>

#include <unistd.h>

#include <cstdio>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace certctl::cli {

namespace {

/// A public key line is short; anything much longer is not one.
constexpr std::size_t kMaxPublicKeyFile = 4096;

Result<std::vector<lifecycle::HostInfo>> load_hosts(Session& s) { return lifecycle::host_list(s.ctx()); }
Status remove_host(Session& s, const std::string& name) { return lifecycle::host_remove(s.ctx(), name); }
std::string removed(const std::string& name) { return fmt::format("host '{}' removed", name); }
std::string remove_question(const std::string& name) {
  return fmt::format("Remove host '{}'? Nothing more can be sealed to its key", name);
}

std::string this_host() {
  char buf[256] = {};
  return ::gethostname(buf, sizeof buf - 1) == 0 && buf[0] ? std::string(buf) : std::string("HOSTNAME");
}

struct AddOpts {
  std::string name, public_key;
  std::vector<std::string> labels;
};

void bind_add(CLI::App& add, AddOpts& a) {
  add.add_option("name", a.name, "The host's name (letters, digits, '.', '_', '-')")->required();
  add.add_option("--public-key", a.public_key,
                 "File with the line `certctl agent enroll` printed on the host ('-': read it from stdin)")
      ->required();
  add.add_option("--labels", a.labels, "Labels, comma-separated")->delimiter(',');
  add.footer("Needs no passphrase: a public key is not secret. A host of that name must not exist yet.");
}

Status run_add(Globals& g, AddOpts& a) {
  const bool from_stdin = a.public_key == "-";
  const std::string source = from_stdin ? "stdin" : a.public_key;
  auto text = fs::read_file(from_stdin ? "/dev/stdin" : a.public_key, kMaxPublicKeyFile);
  if (!text) return text.error().with_subject(source).with_category(Category::Input);
  TRY_ASSIGN(Session s, open_session(g));
  TRY(lifecycle::host_add(s.ctx(), a.name, *text, a.labels, source));
  note(g, fmt::format("host '{}' added", a.name));
  return ok();
}

std::string hosts_table(const std::vector<lifecycle::HostInfo>& all) {
  std::string out = fmt::format("{:<24} {:<24} {:<20} {}\n", "NAME", "LABELS", "CREATED", "PUBLIC KEY");
  for (const auto& h : all)
    out += fmt::format("{:<24} {:<24} {:<20} {}\n", h.name, h.labels.empty() ? "-" : fmt::format("{}", fmt::join(h.labels, ",")),
                       h.created ? format_rfc3339(h.created) : "-", h.public_key);
  return out;
}

struct EnrollOpts {
  std::string key_file;
  bool force = false;
};

void bind_enroll(CLI::App& sub, EnrollOpts& o) {
  sub.add_option("--key-file", o.key_file,
                 "Where to write the host's private key (default /var/lib/certctl/agent/host.key as root, else "
                 "${XDG_STATE_HOME:-~/.local/state}/certctl/agent/host.key)");
  sub.add_flag("--force", o.force, "Replace an existing host key (what was sealed to the old one no longer opens)");
  sub.footer("Run on the host itself. Prints only the public key line on stdout; register it on the vault's\n"
             "machine with `certctl host add NAME --public-key FILE` (or `--public-key -` to read stdin).\n"
             "The private key never leaves the host.");
}

Status run_enroll(Globals& g, EnrollOpts& o) {
  if (o.key_file.empty()) {
    TRY_ASSIGN(o.key_file, lifecycle::default_agent_key_file());
  }
  TRY_ASSIGN(crypto::HostPublicKey key, lifecycle::agent_enroll(o.key_file, o.force));
  print_out(key.text() + "\n");
  note(g, fmt::format("host key written to {} (mode 0600); register this host where the vault is with:\n"
                      "  certctl host add {} --public-key -\n"
                      "and paste the line above (or pipe it there, e.g. over ssh)",
                      o.key_file, this_host()));
  return ok();
}

Status run_sync(Globals& g) {
  TRY_ASSIGN(Session s, open_unlocked(g));
  TRY_ASSIGN(lifecycle::DeviceKeySync r, lifecycle::sync_device_keys(s.ctx()));
  for (const auto& l : r.sealed) print_out(fmt::format("sealed   {}\n", l));
  for (const auto& l : r.removed) print_out(fmt::format("removed  {}\n", l));
  for (const auto& l : r.skipped) print_out(fmt::format("skipped  {}\n", l));
  note(g, fmt::format("{} key copies sealed, {} removed, {} skipped", r.sealed.size(), r.removed.size(), r.skipped.size()));
  return ok();
}

/// The host key holds 32 bytes in a short PEM.
constexpr std::size_t kMaxHostKeyFile = 4096;

struct AgentOpts {
  std::string key_file;
  bool once = false;
  std::string interval = "300";
};

void bind_agent(CLI::App& a, AgentOpts& o) {
  a.add_flag("--once", o.once, "One pass: deploy what is new, then exit (for cron instead of a service)");
  a.add_option("--key-file", o.key_file,
               "This host's key from `certctl agent enroll` (default /var/lib/certctl/agent/host.key as root, else "
               "${XDG_STATE_HOME:-~/.local/state}/certctl/agent/host.key)");
  a.add_option("--interval", o.interval, "Re-read the whole vault at least this often, in seconds (5..86400)")
      ->capture_default_str();
  a.footer("Runs on a host that serves certificates: deploys the records of every deploy target naming this\n"
           "host (`deploy add --hosts` / `--labels`), with keys sealed to this host; never asks for the\n"
           "vault's passphrase. On PostgreSQL it wakes on each commit (LISTEN/NOTIFY); a lost database is\n"
           "retried with backoff, and what was missed is deployed then. SIGTERM or Ctrl-C stops it.");
}

Status run_agent(Globals& g, AgentOpts& o) {
  lifecycle::AgentOptions opts;
  opts.once = o.once;
  TRY_ASSIGN(const long interval, parse_number(o.interval, 5, 86400, NumberField{Category::Usage, "", "--interval"}));
  opts.interval = std::chrono::seconds(interval);
  TRY_ASSIGN(opts.host, host_of(g));
  if (o.key_file.empty()) {
    TRY_ASSIGN(o.key_file, lifecycle::default_agent_key_file());
  }
  TRY_ASSIGN(SecretBytes pem, fs::read_secret_file(o.key_file, kMaxHostKeyFile));
  TRY_ASSIGN(opts.host_key, crypto::parse_host_private_key(pem, o.key_file));
  // One line per event, flushed at once: a service's log (journald, a file) sees it as it happens.
  auto say = [](const std::string& line) {
    print_out(line + "\n");
    std::fflush(stdout);
  };
  // A service outlives the database being down at start: open it with the same backoff.
  std::chrono::seconds backoff{1};
  Result<Session> s = open_session(g);
  while (!s && !o.once && s.error().category() == Category::Vault && !interrupted()) {
    say(fmt::format("{}; trying again in {} s", s.error().text(), backoff.count()));
    if (!interruptible_sleep(backoff, "agent")) return ok();
    backoff = std::min(backoff * 2, std::chrono::seconds(60));
    s = open_session(g);
  }
  if (!s) return std::move(s).error();
  // Wake-ups: PostgreSQL notifies each commit on a connection of its own; a directory has none,
  // so the agent re-reads every interval.
  std::shared_ptr<storage::Store> listener;
  storage::PgStore* pg = nullptr;
  TRY_ASSIGN(std::string where, vault::resolve_dir(g.vault_dir));
  if (!o.once && storage::is_pg_url(where)) {
    if (auto l = open_store(g, false)) {
      listener = std::move(*l);
      pg = dynamic_cast<storage::PgStore*>(listener.get());
      if (pg) (void)pg->wait_notifications(std::chrono::milliseconds(0));  // listen before the first pass
    }
  }
  lifecycle::ChangeWaiter wait = [pg](std::chrono::milliseconds d) -> Status {
    if (!pg) {
      (void)interruptible_sleep(d, "agent");
      return ok();
    }
    // Wake on a notification, or every second to notice SIGTERM, until `d` has passed.
    const auto until = std::chrono::steady_clock::now() + d;
    while (!interrupted() && std::chrono::steady_clock::now() < until) {
      TRY_ASSIGN(std::vector<std::string> keys, pg->wait_notifications(std::chrono::milliseconds(1000)));
      if (!keys.empty()) return ok();
    }
    return ok();
  };
  return lifecycle::run_agent(s->ctx(), opts, wait, say);
}

}  // namespace

void setup_host(CLI::App& app, Globals& g) {
  CLI::App* host = group(app, "host", "Hosts that agents run on: each holds its own key, secrets are sealed to it");
  command<AddOpts>(*host, g, "add", "Register a host by the public key its `certctl agent enroll` printed", bind_add,
                   &run_add);
  add_list(*host, g,
           ListSpec{"List hosts", "Print a JSON array", &load_hosts, &output::hosts_json, &hosts_table,
                    "no hosts; on a host run `certctl agent enroll`, then `certctl host add NAME --public-key FILE`"});
  add_remove(*host, g, "Remove a host and every key copy sealed to it", {"name", "The host's name"}, &remove_host,
             &removed, &remove_question);
  command<bool>(
      *host, g, "sync",
      "Seal the keys of issued records to the hosts their deploy targets name (key-policy hybrid/device); remove "
      "copies no longer named",
      [](CLI::App& sub, bool&) {
        sub.footer("Issue and renew seal each new version themselves; run this after `host add` or `deploy add --hosts`\n"
                   "for certificates issued before. Needs the vault unlocked to seal (removing needs nothing).");
      },
      [](Globals& gl, bool&) { return run_sync(gl); });
}

void setup_agent(CLI::App& app, Globals& g) {
  CLI::App* agent = app.add_subcommand(
      "agent", "Run the agent on a host: deploy the records its deploy targets name (`agent enroll` first)");
  agent->require_subcommand(0, 1);
  auto o = std::make_shared<AgentOpts>();
  bind_agent(*agent, *o);
  agent->callback([&g, o, agent] {
    if (!agent->get_subcommands().empty()) return;  // `agent enroll` set its own action
    g.action = [&g, o]() { return run_agent(g, *o); };
  });
  command<EnrollOpts>(*agent, g, "enroll", "Make this host's key pair and print its public key", bind_enroll,
                      &run_enroll);
}

}  // namespace certctl::cli
