// Server: an IP literal and a port, as given on the command line or in a provider option.
#include <certctl/dns.hpp>

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <optional>

#include <fmt/format.h>

namespace certctl::dns {

std::string Server::display() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

namespace {

bool is_v4(const std::string& s) {
  in_addr a{};
  return inet_pton(AF_INET, s.c_str(), &a) == 1;
}
bool is_v6(const std::string& s) {
  in6_addr a{};
  return inet_pton(AF_INET6, s.c_str(), &a) == 1;
}

std::optional<int> parse_port(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  int port = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), port);
  if (ec != std::errc() || p != s.data() + s.size() || port < 1 || port > 65535) return std::nullopt;
  return port;
}

}  // namespace

Result<Server> parse_server(std::string_view text, std::string_view what) {
  auto bad = [&](std::string_view why) {
    return Error(Category::Usage, std::string(what),
                 fmt::format("'{}' is not a DNS server: {} (expected IP, IP:PORT or [IPv6]:PORT)", text, why));
  };
  Server s;
  std::string_view host = text;
  std::optional<std::string_view> port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return bad("no closing ']'");
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad("junk after ']'");
      port = rest.substr(1);
    }
    s.host = std::string(host);
    if (!is_v6(s.host)) return bad("not an IPv6 address inside [ ]");
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    auto colon = text.find(':');
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    s.host = std::string(host);
    if (!is_v4(s.host)) return bad("not an IPv4 address (host names are not accepted)");
  } else {
    s.host = std::string(text);
    if (!is_v4(s.host) && !is_v6(s.host)) return bad("not an IP address (host names are not accepted)");
  }
  if (port) {
    auto p = parse_port(*port);
    if (!p) return bad("the port must be a number from 1 to 65535");
    s.port = *p;
  }
  return s;
}

}  // namespace certctl::dns
