// The issue settings options shared by `issue` and `migrate` (src/cli/settings_options.hpp).
#include "cli/settings_options.hpp"

#include "cli/common.hpp"

#include <certctl/challenge.hpp>
#include <certctl/domain.hpp>

#include <CLI/CLI.hpp>

namespace certctl::cli {

namespace {

/// --http-address: an address the responders can bind, i.e. an IPv4 or IPv6 literal.
CLI::Validator ip_literal_check() {
  return CLI::Validator(
      [](const std::string& s) {
        return domain::is_ip(s) ? std::string() : "'" + s + "' is not an IPv4 or IPv6 address (e.g. 0.0.0.0, ::1)";
      },
      "ADDRESS");
}

}  // namespace

void add_settings_options(CLI::App* sub, SettingsBinding& b, bool deploy) {
  sub->add_option("--challenge", b.challenge, "http-01 (default), dns-01 or tls-alpn-01")
      ->check([](const std::string& s) {
        auto c = vault::parse_challenge(s);
        return c ? std::string() : c.error().message();
      });
  sub->add_option("--dns", b.settings.dns,
                  "dns-01 provider: a name from `certctl dns add`, manual, or exec:/path/to/hook");
  sub->add_option("--webroot", b.webroots,
                  "http-01 by writing files under this web root; NAME=DIR (repeat) gives NAME a web root of its own "
                  "(certbot's webroot map); '' clears both")
      ->allow_extra_args(false);
  sub->add_option("--http-hook", b.settings.http_hook,
                  "http-01 through this program (absolute path, no shell): run as `CMD present|cleanup DOMAIN TOKEN "
                  "KEY_AUTHORIZATION`; '' clears it");
  // Checked when parsed, whatever the CA: a record must never store a responder that cannot bind.
  sub->add_option("--http-address", b.settings.http_address,
                  "Address of the built-in responders, an IPv4 or IPv6 literal (default: every IPv6 and IPv4 address; 0.0.0.0 = IPv4 only)")
      ->check(ip_literal_check());
  sub->add_option("--http-port", b.settings.http_port, "Port of the built-in http-01 responder, 1-65535 (default 80)")
      ->check(CLI::Range(1, 65535));
  sub->add_option("--tls-port", b.settings.tls_port, "Port of the built-in tls-alpn-01 responder, 1-65535 (default 443)")
      ->check(CLI::Range(1, 65535));
  sub->add_option("--profile", b.settings.profile, "ACME profile for the order (as the CA's directory lists)");
  sub->add_option("--preferred-chain", b.settings.preferred_chain, "Issuer CN of the chain to prefer among alternates");
  sub->add_option("--fallback", b.fallback, "CAs to try in order when the record's CA fails (comma-separated)")
      ->delimiter(',')
      ->allow_extra_args(false);
  sub->add_option("--propagation-wait", b.settings.propagation_wait,
                  "dns-01: wait this many seconds after publishing instead of checking the authoritative servers "
                  "(0 = check; default the provider's)")
      ->check(CLI::Range(0, challenge::kMaxPropagationWaitS));
  sub->add_flag("--no-propagation-check,!--propagation-check", b.settings.no_propagation_check,
                "dns-01: go on as soon as the records are published, without checking (--propagation-check: check again)");
  if (!deploy) return;
  sub->add_option("--deploy-dir", b.settings.deploy_dir,
                  "After issuing (and each renewal) write cert.pem, chain.pem, fullchain.pem, key.pem here");
  sub->add_option("--deploy-owner", b.settings.deploy_owner, "chown the deployed files to USER[:GROUP]");
  sub->add_option("--deploy-hook", b.settings.deploy_hook,
                  "Shell command run after issuing and each renewal (e.g. systemctl reload nginx)");
}

Result<lifecycle::SettingsOverride> given_settings(CLI::App* sub, const SettingsBinding& b) {
  lifecycle::SettingsOverride out;
  auto given = [sub](const char* n) {
    const CLI::Option* opt = sub->get_option_no_throw(n);
    return opt && opt->count() > 0;
  };
  if (given("--challenge")) out.challenge = vault::parse_challenge(b.challenge).value();  // checked at parse
  if (given("--dns")) out.dns = b.settings.dns;
  if (given("--webroot")) {
    // A plain directory (absolute, or '' to clear) serves every name; NAME=DIR one name.
    std::string plain;
    std::vector<std::string> map;
    int plains = 0;
    for (const auto& w : b.webroots) {
      if (w.empty() || w.front() == '/') {
        plain = w;
        ++plains;
      } else {
        map.push_back(w);
      }
    }
    if (plains > 1) return Error(Category::Usage, "--webroot", "give one directory for every name, or NAME=DIR per name");
    out.webroot = plain;
    out.webroot_map = std::move(map);
  }
  if (given("--http-hook")) out.http_hook = b.settings.http_hook;
  if (given("--http-address")) out.http_address = b.settings.http_address;
  if (given("--http-port")) out.http_port = b.settings.http_port;
  if (given("--tls-port")) out.tls_port = b.settings.tls_port;
  if (given("--profile")) out.profile = b.settings.profile;
  if (given("--preferred-chain")) out.preferred_chain = b.settings.preferred_chain;
  if (given("--deploy-dir")) out.deploy_dir = b.settings.deploy_dir;
  if (given("--deploy-owner")) out.deploy_owner = b.settings.deploy_owner;
  if (given("--deploy-hook")) out.deploy_hook = b.settings.deploy_hook;
  if (given("--propagation-wait")) out.propagation_wait = b.settings.propagation_wait;
  if (given("--no-propagation-check")) out.no_propagation_check = b.settings.no_propagation_check;
  if (given("--fallback")) {
    // `--fallback ''` clears the stored list.
    std::vector<std::string> fb;
    for (const auto& f : b.fallback)
      if (!f.empty()) fb.push_back(f);
    out.fallback = std::move(fb);
  }
  return out;
}

}  // namespace certctl::cli
