// certctl host add|list|remove: the hosts agents run on, each registered with the public key
// its `certctl agent enroll` made; and `agent enroll` itself, run on the host.
#include "cli/common.hpp"
#include "cli/named.hpp"

#include <certctl/fs.hpp>
#include <certctl/output.hpp>

#include <unistd.h>

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

}  // namespace

void setup_host(CLI::App& app, Globals& g) {
  CLI::App* host = group(app, "host", "Hosts that agents run on: each holds its own key, secrets are sealed to it");
  command<AddOpts>(*host, g, "add", "Register a host by the public key its `certctl agent enroll` printed", bind_add,
                   &run_add);
  add_list(*host, g,
           ListSpec{"List hosts", "Print a JSON array", &load_hosts, &output::hosts_json, &hosts_table,
                    "no hosts; on a host run `certctl agent enroll`, then `certctl host add NAME --public-key FILE`"});
  add_remove(*host, g, "Remove a host", {"name", "The host's name"}, &remove_host, &removed, &remove_question);
}

void setup_agent(CLI::App& app, Globals& g) {
  CLI::App* agent = group(app, "agent", "The agent on a host: its own key");
  command<EnrollOpts>(*agent, g, "enroll", "Make this host's key pair and print its public key", bind_enroll,
                      &run_enroll);
}

}  // namespace certctl::cli
