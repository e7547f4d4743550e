// `discover tls` targets: HOST:PORT, [IPV6]:PORT and A.B.C.D/N:PORT ranges, each bounded.
#include <certctl/fs.hpp>
#include <certctl/lifecycle.hpp>
#include <certctl/number.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace certctl::lifecycle {

namespace {

bool is_address(const std::string& s) {
  in6_addr buf{};
  return ::inet_pton(AF_INET, s.c_str(), &buf) == 1 || ::inet_pton(AF_INET6, s.c_str(), &buf) == 1;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

/// A host name as a target may give it: letters, digits, '-', '.', '_' (what resolvers take),
/// 1..253 characters.
bool plausible_name(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalnum(c) || c == '-' || c == '.' || c == '_'; });
}

}  // namespace

std::string TlsTarget::place() const {
  std::string out = host.find(':') != std::string::npos ? fmt::format("tls://[{}]:{}", host, port)
                                                        : fmt::format("tls://{}:{}", host, port);
  if (!sni.empty() && sni != host) out += "?sni=" + sni;
  return out;
}

Result<std::vector<TlsTarget>> parse_tls_targets(const std::vector<std::string>& specs, const std::string& sni,
                                                 std::string_view source) {
  auto bad = [&](const std::string& spec, std::string why) {
    return Error(Category::Usage, fmt::format("{} '{}'", source, spec), std::move(why));
  };
  if (!sni.empty() && (!plausible_name(sni) || is_address(sni)))
    return Error(Category::Usage, "--sni", fmt::format("'{}' is not a host name", sni));
  std::vector<TlsTarget> out;
  std::set<std::string> seen;
  auto add = [&](TlsTarget t) -> Status {
    if (!seen.insert(t.place()).second) return ok();
    if (out.size() >= kMaxDiscoverTargets)
      return Error(Category::Usage, std::string(source), fmt::format("more than {} targets in one run; split them", kMaxDiscoverTargets));
    out.push_back(std::move(t));
    return ok();
  };
  for (const std::string& spec : specs) {
    std::string host, port_text;
    if (!spec.empty() && spec.front() == '[') {
      const auto close = spec.find(']');
      if (close == std::string::npos || close + 1 >= spec.size() || spec[close + 1] != ':')
        return bad(spec, "write an IPv6 address as [ADDRESS]:PORT");
      host = spec.substr(1, close - 1);
      port_text = spec.substr(close + 2);
      in6_addr a{};
      if (::inet_pton(AF_INET6, host.c_str(), &a) != 1) return bad(spec, "not an IPv6 address");
    } else {
      const auto colon = spec.rfind(':');
      if (colon == std::string::npos || colon == 0) return bad(spec, "write HOST:PORT (e.g. example.com:443)");
      host = spec.substr(0, colon);
      port_text = spec.substr(colon + 1);
      if (host.find(':') != std::string::npos) return bad(spec, "write an IPv6 address as [ADDRESS]:PORT");
    }
    TRY_ASSIGN(long port, parse_number(port_text, 1, 65535, NumberField{Category::Usage, fmt::format("{} '{}'", source, spec), "port"}));
    if (const auto slash = host.find('/'); slash != std::string::npos) {
      // An IPv4 range: every address of it, network and broadcast included.
      const std::string base = host.substr(0, slash);
      in_addr a{};
      if (::inet_pton(AF_INET, base.c_str(), &a) != 1) return bad(spec, "a range must be an IPv4 address/prefix, e.g. 10.0.0.0/28:443");
      TRY_ASSIGN(long prefix, parse_number(host.substr(slash + 1), 0, 32,
                                           NumberField{Category::Usage, fmt::format("{} '{}'", source, spec), "prefix length"}));
      const std::uint64_t count = std::uint64_t{1} << (32 - prefix);
      if (count > kMaxDiscoverTargets)
        return bad(spec, fmt::format("the range holds {} addresses; at most {} per run (a prefix of /{} or longer)", count,
                                     kMaxDiscoverTargets, 32 - 12));
      const std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
      const std::uint32_t first = ntohl(a.s_addr) & mask;
      for (std::uint64_t i = 0; i < count; ++i) {
        in_addr x{htonl(static_cast<std::uint32_t>(first + i))};
        char text[INET_ADDRSTRLEN];
        ::inet_ntop(AF_INET, &x, text, sizeof text);
        TRY(add(TlsTarget{text, static_cast<int>(port), sni}));
      }
      continue;
    }
    if (!is_address(host)) {
      if (!plausible_name(host)) return bad(spec, "not a host name or address");
      host = lower(host);
    }
    TRY(add(TlsTarget{host, static_cast<int>(port), sni.empty() && !is_address(host) ? host : sni}));
  }
  if (out.empty()) return Error(Category::Usage, std::string(source), "no target given (HOST:PORT ... or --file LIST)");
  return out;
}

Result<std::vector<std::string>> read_target_file(const std::string& path) {
  TRY_ASSIGN(std::string text, fs::read_file(path, fs::kMaxFileSize));
  std::vector<std::string> out;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t eol = text.find('\n', at);
    if (eol == std::string::npos) eol = text.size();
    std::string line = text.substr(at, eol - at);
    at = eol + 1;
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    const auto b = line.find_first_not_of(" \t\r");
    if (b == std::string::npos) continue;
    const auto e = line.find_last_not_of(" \t\r");
    out.push_back(line.substr(b, e - b + 1));
    if (out.size() > kMaxDiscoverTargets)
      return Error(Category::Usage, path, fmt::format("lists more than {} targets; split it", kMaxDiscoverTargets));
  }
  return out;
}

}  // namespace certctl::lifecycle
