// certctl_dns_driver: drive one DNS provider from the integration tests.
//   certctl_dns_driver present|cleanup --type TYPE [--opt key=value]... [--secret name:env:VAR]...
//                      --fqdn FQDN --zone ZONE --value V [--value V2]... [--ttl N]
// Secrets come only from environment variables. Exit code: the error category's exit code;
// one line on stderr when it fails.
#include <certctl/dns.hpp>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

using namespace certctl;

namespace {

int fail(const Error& e) {
  std::cerr << "certctl: " << e.text() << "\n";
  return e.exit_code();
}

int usage(const std::string& why) { return fail(Error(Category::Usage, "certctl_dns_driver", why)); }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage("usage: certctl_dns_driver present|cleanup --type TYPE ...");
  const std::string verb = argv[1];
  if (verb != "present" && verb != "cleanup") return usage("first argument must be present or cleanup");
  dns::ProviderConfig config;
  config.name = "driver";
  std::string fqdn, zone;
  std::vector<std::string> values;
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return usage(a + " needs a value");
    const std::string v = argv[++i];
    if (a == "--type") {
      config.type = v;
    } else if (a == "--opt") {
      auto eq = v.find('=');
      if (eq == std::string::npos) return usage("--opt wants key=value");
      config.options[v.substr(0, eq)] = v.substr(eq + 1);
    } else if (a == "--secret") {
      auto c1 = v.find(':');
      if (c1 == std::string::npos || v.compare(c1, 5, ":env:") != 0) return usage("--secret wants name:env:VAR");
      const std::string var = v.substr(c1 + 5);
      const char* val = std::getenv(var.c_str());
      if (!val) return usage("environment variable " + var + " is not set");
      config.secrets[v.substr(0, c1)] = SecretBytes::from(val);
    } else if (a == "--fqdn") {
      fqdn = v;
    } else if (a == "--zone") {
      zone = v;
    } else if (a == "--value") {
      values.push_back(v);
    } else if (a == "--ttl") {
      config.ttl = std::atoi(v.c_str());
    } else {
      return usage("unknown argument " + a);
    }
  }
  if (config.type.empty() || fqdn.empty() || values.empty()) return usage("--type, --fqdn and --value are required");
  auto provider = dns::make_provider(config);
  if (!provider) return fail(provider.error());
  std::vector<dns::TxtRecord> records;
  for (const auto& v : values) records.push_back(dns::TxtRecord{fqdn, zone, v, fqdn, ""});
  Status st = verb == "present" ? (*provider)->present(records) : (*provider)->cleanup(records);
  if (!st) return fail(st.error());
  return 0;
}
