#pragma once
// What a lifecycle flow needs in a unit test: a new unlocked vault in a temporary directory, a
// fixed clock and a fake HTTP client factory (no routes until a test adds them), as ctx().
// Fixtures derive from it and add their own set-up.
#include <certctl/lifecycle.hpp>

#include "fake_http.hpp"
#include "temp_dir.hpp"

namespace certctl::test {

struct VaultContext {
  TempDir dir;
  vault::Vault vault = make_vault(dir);
  FixedClock clock{1'800'000'000};
  FakeHttp fake;
  http::ClientFactory clients = fake.factory();
  lifecycle::Context ctx() { return {vault, clock, clients}; }
};

}  // namespace certctl::test
