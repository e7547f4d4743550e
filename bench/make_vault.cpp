// Builds a benchmark vault of N real certificates: each record gets its own key, CSR and a
// certificate from the vault's local CA, through the same lifecycle code the CLI runs.
// Usage: certctl_bench_vault DIR N   (passphrase from CERTCTL_PASSPHRASE; scrypt N=1024)
#include <certctl/lifecycle.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

using namespace certctl;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s DIR COUNT\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const int count = std::atoi(argv[2]);
  const char* pass = std::getenv("CERTCTL_PASSPHRASE");
  if (!pass || count < 1) {
    std::fprintf(stderr, "set CERTCTL_PASSPHRASE and give a positive COUNT\n");
    return 2;
  }
  auto clock = SystemClock::from_environment();
  if (!clock) return 2;
  vault::UnlockSecret secret{vault::UnlockSecret::Kind::Passphrase, SecretBytes::from(pass)};
  auto v = vault::Vault::create(dir, secret, 1024, clock->now());
  if (!v) {
    fmt::print(stderr, "certctl_bench_vault: {}\n", v.error().text());
    return v.error().exit_code();
  }
  const http::ClientFactory clients = http::make_curl_client;  // the local CA needs none
  lifecycle::Context ctx{*v, *clock, clients};
  if (auto ca = lifecycle::init_local_ca(ctx, {}); !ca) {
    fmt::print(stderr, "certctl_bench_vault: {}\n", ca.error().text());
    return 1;
  }
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < count; ++i) {
    const std::string name = fmt::format("site-{:05}", i);
    lifecycle::RecordFields f;
    f.domain = fmt::format("{}.bench.example", name);
    f.sans = std::vector<std::string>{fmt::format("www.{}.bench.example", name)};
    f.renew_days = (i % 3) * 10;
    Status st = lifecycle::create(ctx, name, f).ok() ? ok() : Status(Error(Category::Internal, name, "create"));
    if (st) {
      auto c = lifecycle::make_csr(ctx, name);
      if (!c) st = c.error();
    }
    // A few records stay drafts or pending, like a real vault; the rest are issued.
    if (st && i % 50 != 0) {
      auto r = lifecycle::issue(ctx, name, lifecycle::IssueRequest{std::nullopt, 30 + i % 60});
      if (!r) st = r.error();
    }
    if (!st) {
      fmt::print(stderr, "certctl_bench_vault: {}\n", st.error().text());
      return 1;
    }
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print(stderr, "built {} records in {:.1f} s\n", count, secs);
  return 0;
}
