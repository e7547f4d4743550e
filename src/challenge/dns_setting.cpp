// A record's `--dns` text, parsed once into challenge::DnsSetting (and back).
#include <certctl/challenge.hpp>
#include <certctl/overloaded.hpp>

#include <fmt/format.h>

namespace certctl::challenge {
namespace {

constexpr std::string_view kExec = "exec:";
constexpr std::string_view kManual = "manual";

}  // namespace

Result<DnsSetting> parse_dns_setting(std::string_view text) {
  if (text.empty())
    return Error(Category::Usage, "--dns",
                 "dns-01 needs a provider: --dns NAME (see `certctl dns add`), manual or exec:/path/to/hook");
  if (text == kManual) return DnsSetting(ManualDns{});
  if (text.substr(0, kExec.size()) == kExec) {
    if (text.size() == kExec.size())
      return Error(Category::Usage, "--dns", "'exec:' names no hook: give exec:/path/to/hook");
    return DnsSetting(ExecHook{std::string(text.substr(kExec.size()))});
  }
  if (text.find(':') != std::string_view::npos)
    return Error(Category::Usage, "--dns",
                 fmt::format("'{}' is not a DNS provider (see `certctl dns list`; or manual, exec:/path/to/hook)", text));
  return DnsSetting(ProviderRef{std::string(text)});
}

std::string to_string(const DnsSetting& setting) {
  return std::visit(Overloaded{
                        [](const ManualDns&) { return std::string(kManual); },
                        [](const ExecHook& h) { return std::string(kExec) + h.command; },
                        [](const ProviderRef& p) { return p.name; },
                    },
                    setting);
}

}  // namespace certctl::challenge
