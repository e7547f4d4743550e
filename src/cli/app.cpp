// The command tree. Each command lives in its own cmd_*.cpp with a setup_* function.
#include "cli/common.hpp"
#include "cli/help.hpp"

#include <CLI/CLI.hpp>

#ifndef CERTCTL_VERSION
#define CERTCTL_VERSION "0.0.0"
#endif

namespace certctl::cli {

void build_app(CLI::App& app, Globals& g) {
  g.root = &app;
  app.name("certctl");
  setup_help_output(app);  // first: the commands below take its formatter
  app.description(
      "certctl: TLS certificates from key to renewal, kept in an encrypted local vault.\n"
      "Quick start: certctl init && certctl ca local init && certctl create web --domain example.test "
      "&& certctl csr web && certctl issue web && certctl list");
  app.set_version_flag("--version", "certctl " CERTCTL_VERSION);
  app.require_subcommand(1);
  app.fallthrough();  // global options are accepted after the subcommand too
  app.add_option("--vault", g.vault_dir,
                 "Vault directory, or a PostgreSQL database as a libpq URI (postgresql://...) or keyword string "
                 "(env CERTCTL_VAULT; default ~/.local/share/certctl)");
  app.add_option("--vault-schema", g.vault_schema,
                 "PostgreSQL vault: the schema that holds it, so one database can hold several vaults "
                 "(env CERTCTL_VAULT_SCHEMA; default certctl)");
  app.add_option("--host", g.host,
                 "The name this host goes by in the audit and orders logs and in renewal claims "
                 "(env CERTCTL_HOST; default the host name)");
  app.add_option("--passphrase-file", g.passphrase_file,
                 "Read the vault passphrase from this file (env CERTCTL_PASSPHRASE_FILE, CERTCTL_PASSPHRASE)");
  app.add_option("--key-file", g.key_file, "Unlock a key-file vault with this file (env CERTCTL_KEY_FILE)");
  app.add_flag("--no-color", g.no_color, "No colour (also NO_COLOR)");
  app.add_flag("--quiet,-q", g.quiet, "Print results only, no notes on stderr");
  app.add_flag("--verbose,-v", g.verbose,
               "One line on stderr per finished step: order created, challenge validated, certificate downloaded, "
               "hook ran, record saved (env CERTCTL_VERBOSE)")
      ->envname("CERTCTL_VERBOSE");
  app.add_flag("--debug", g.debug,
               "Everything -v shows plus every HTTP request and response, DNS query and answer and hook run, "
               "secrets redacted (env CERTCTL_DEBUG)")
      ->envname("CERTCTL_DEBUG");
  app.add_option("--log-file", g.log_file,
                 "Append the trace to this file (created 0600) instead of stderr; the -v level unless --debug "
                 "(env CERTCTL_LOG_FILE)")
      ->envname("CERTCTL_LOG_FILE");
  app.add_option("--dns-resolver", g.dns_resolver,
                 "dns-01: send every DNS lookup, propagation checks included, to IP[:PORT] (env CERTCTL_DNS_RESOLVER)");
  app.add_option("--responder-user", g.responder_user,
                 "issue/renew as root: the user the http-01/tls-alpn-01 responder process runs as after binding "
                 "(env CERTCTL_RESPONDER_USER; default nobody)");

  setup_init(app, g);
  setup_vault(app, g);
  setup_ca(app, g);
  setup_account(app, g);
  setup_create(app, g);
  setup_edit(app, g);
  setup_csr(app, g);
  setup_issue(app, g);
  setup_import(app, g);
  setup_list(app, g);
  setup_show(app, g);
  setup_export(app, g);
  setup_export_pfx(app, g);
  setup_renew(app, g);
  setup_check(app, g);
  setup_notify(app, g);
  setup_deploy(app, g);
  setup_dns(app, g);
  setup_revoke(app, g);
  setup_delete(app, g);
  setup_orders(app, g);
  setup_report(app, g);
  setup_audit(app, g);
  setup_policy(app, g);
  setup_host(app, g);
  setup_agent(app, g);
  setup_migrate(app, g);
  setup_discover(app, g);
  setup_help(app, g);
}

}  // namespace certctl::cli
