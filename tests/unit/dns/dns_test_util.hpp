#pragma once
// Helpers for the DNS provider unit tests: configs, records and request inspection.
#include <certctl/dns.hpp>
#include <certctl/http.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "fake_http.hpp"

#include <cctype>
#include <memory>
#include <optional>
#include <string>

namespace certctl::test {

/// The value of a request header (names compare case-insensitively), if sent.
inline std::optional<std::string> header(const http::Request& r, std::string_view name) {
  for (const auto& h : r.headers) {
    if (h.name.size() != name.size()) continue;
    bool same = true;
    for (std::size_t i = 0; i < name.size(); ++i)
      same = same && std::tolower(static_cast<unsigned char>(h.name[i])) == std::tolower(static_cast<unsigned char>(name[i]));
    if (same) return h.value;
  }
  return std::nullopt;
}

inline nlohmann::json body_json(const http::Request& r) { return nlohmann::json::parse(r.body); }

inline dns::TxtRecord txt(std::string fqdn, std::string zone, std::string value) {
  return dns::TxtRecord{std::move(fqdn), std::move(zone), std::move(value), "", ""};
}

/// A provider built by `make` (make_powerdns, ...) over a FakeHttp the test keeps a pointer to.
struct FakeProvider {
  FakeHttp* http = nullptr;
  std::unique_ptr<dns::Provider> provider;
  template <class Make>
  FakeProvider(Make make, const dns::ProviderConfig& config) {
    auto fake = std::make_unique<FakeHttp>();
    http = fake.get();
    auto p = make(config, std::move(fake));
    REQUIRE(p.ok());
    provider = std::move(p).value();
  }
};

}  // namespace certctl::test
