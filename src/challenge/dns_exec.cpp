// `--dns exec:CMD`: a shorthand for the `exec` DNS provider (src/dns/exec.cpp) run without
// lookups, since the hook's contract is to return once the record is served.
#include <certctl/challenge.hpp>

#include <fmt/format.h>

namespace certctl::challenge {

dns::ProviderConfig exec_hook_config(const std::string& command, int timeout_s) {
  dns::ProviderConfig c;
  c.name = "exec:" + command;
  c.type = "exec";
  c.options = {{"command", command}, {"hook-timeout", std::to_string(timeout_s)}};
  return c;
}

Result<std::unique_ptr<Solver>> make_dns_exec(const std::string& command, int timeout_s, std::chrono::seconds wait) {
  TRY_ASSIGN(std::unique_ptr<dns::Provider> provider, dns::make_provider(exec_hook_config(command, timeout_s)));
  DnsProviderOptions direct;
  direct.lookups = false;
  direct.propagation_wait = wait;
  return make_dns_provider(std::move(provider), std::move(direct));
}

}  // namespace certctl::challenge
