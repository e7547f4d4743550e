#pragma once
// Shared CLI plumbing: global options, the action chosen by parsing, and helpers to open and
// unlock the vault. CLI11 is included only by src/cli and src/main.cpp.
#include <certctl/clock.hpp>
#include <certctl/http.hpp>
#include <certctl/lifecycle.hpp>
#include <certctl/result.hpp>
#include <certctl/vault.hpp>

#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace certctl::cli {

struct Globals {
  std::string vault_dir;           ///< --vault: a directory or a PostgreSQL URL
  std::string vault_schema;        ///< --vault-schema (else $CERTCTL_VAULT_SCHEMA, else certctl)
  std::string host;                ///< --host (else $CERTCTL_HOST, else the host name)
  std::string passphrase_file;
  std::string key_file;
  bool no_color = false;
  bool quiet = false;
  bool verbose = false;            ///< -v/--verbose (or $CERTCTL_VERBOSE): one line per finished step
  bool debug = false;              ///< --debug (or $CERTCTL_DEBUG): the steps and every HTTP/DNS/hook exchange
  std::string log_file;            ///< --log-file (or $CERTCTL_LOG_FILE): the trace goes there instead
  std::string dns_resolver;        ///< --dns-resolver (else $CERTCTL_DNS_RESOLVER)
  std::string responder_user;      ///< --responder-user (else $CERTCTL_RESPONDER_USER, else nobody)
  bool json_errors = false;        ///< set by commands run with --json
  std::function<Status()> action;  ///< what the parsed command line asks for
  int exit_override = 0;           ///< a successful action's own exit code (check: 1 warning, 2 critical)
  CLI::App* root = nullptr;
};

/// Everything a command needs at run time: the opened vault, the clock and the HTTP clients
/// (libcurl: the one place the real client is chosen).
struct Session {
  vault::Vault vault;
  SystemClock clock;
  http::ClientFactory http = http::make_curl_client;
  /// The command's policy run: the policy read once, each soft violation reported once.
  std::shared_ptr<lifecycle::PolicyRun> policy_run = lifecycle::new_policy_run();
  lifecycle::Context ctx() {
    return lifecycle::Context{vault, clock, http, /*network_process=*/true, warn_policy, policy_run};
  }
  /// A soft policy violation: "certctl: warning: policy rule R: ..." on stderr.
  static void warn_policy(const Error& e);
};

lifecycle::UnlockOptions unlock_options(const Globals& g);
Result<SystemClock> make_clock();
/// The store --vault / CERTCTL_VAULT / the default location names: a PostgreSQL database
/// (schema --vault-schema), else a directory. `create`: for `certctl init`.
Result<std::shared_ptr<storage::Store>> open_store(const Globals& g, bool create);
/// The store at a directory or PostgreSQL URL (schema `schema`); `create` makes a missing
/// directory (0700) or the schema.
Result<std::shared_ptr<storage::Store>> open_store_at(const std::string& where, const std::string& schema, bool create);
/// --host, else $CERTCTL_HOST, else the host name; a host name's characters only (Usage error).
Result<std::string> host_of(const Globals& g);
/// Open the vault named by --vault / CERTCTL_VAULT / the default location.
Result<Session> open_session(const Globals& g);
/// Open and unlock.
Result<Session> open_unlocked(const Globals& g);

/// The responder child for these endpoints (null when there are none), started before the
/// vault is unlocked; as root it runs as --responder-user / CERTCTL_RESPONDER_USER / nobody.
Result<std::shared_ptr<challenge::Responders>> start_responders(const Globals& g,
                                                                const std::vector<challenge::Endpoint>& endpoints);

/// Results go to stdout; notes to stderr (suppressed by --quiet).
/// --dns-resolver or $CERTCTL_DNS_RESOLVER, checked; nullopt when neither is set.
Result<std::optional<dns::Server>> dns_resolver(const Globals& g);
/// A one-line progress display on stderr when it is a terminal (and not -q); else nothing.
dns::Progress dns_progress(const Globals& g);
/// Install the trace sink -v, --debug and --log-file ask for (include/certctl/trace.hpp): the
/// log file (appended, created 0600; the -v level unless --debug) instead of stderr. A Config
/// error naming the file when it cannot be opened.
Status install_trace(const Globals& g);
/// Erase a progress line left open on the terminal (before an error or a note is printed).
void clear_progress();
/// A one-line progress display on stderr when it is a terminal and not -q: rewritten in place.
void show_progress(const Globals& g, std::string_view line);
void print_out(std::string_view text);
void note(const Globals& g, std::string_view text);
/// After a command served the readable records (Vault::load_all with a list of unreadable
/// ones): when some were skipped, one stderr line naming each with its reason, and the Vault
/// exit code (5), without a second document on stdout.
void report_skipped(Globals& g, const std::vector<vault::UnreadableRecord>& unreadable);
/// "a, b" from their names.
std::string unreadable_names(const std::vector<vault::UnreadableRecord>& unreadable);
bool color_stdout(const Globals& g);

/// Setup functions, one per command file.
void setup_init(CLI::App& app, Globals& g);
void setup_vault(CLI::App& app, Globals& g);
void setup_ca(CLI::App& app, Globals& g);
void setup_create(CLI::App& app, Globals& g);
void setup_edit(CLI::App& app, Globals& g);
void setup_csr(CLI::App& app, Globals& g);
void setup_issue(CLI::App& app, Globals& g);
void setup_import(CLI::App& app, Globals& g);
void setup_list(CLI::App& app, Globals& g);
void setup_show(CLI::App& app, Globals& g);
void setup_export(CLI::App& app, Globals& g);
void setup_export_pfx(CLI::App& app, Globals& g);
void setup_delete(CLI::App& app, Globals& g);
void setup_account(CLI::App& app, Globals& g);
void setup_revoke(CLI::App& app, Globals& g);
void setup_orders(CLI::App& app, Globals& g);
void setup_report(CLI::App& app, Globals& g);
void setup_renew(CLI::App& app, Globals& g);
void setup_check(CLI::App& app, Globals& g);
void setup_notify(CLI::App& app, Globals& g);
void setup_deploy(CLI::App& app, Globals& g);
void setup_dns(CLI::App& app, Globals& g);
void setup_audit(CLI::App& app, Globals& g);
void setup_policy(CLI::App& app, Globals& g);
void setup_host(CLI::App& app, Globals& g);
void setup_agent(CLI::App& app, Globals& g);
void setup_migrate(CLI::App& app, Globals& g);
void setup_discover(CLI::App& app, Globals& g);

/// Build the whole command tree (used by main and by the CLI unit tests).
void build_app(CLI::App& app, Globals& g);

}  // namespace certctl::cli
