#include <catch2/catch.hpp>

#include <certctl/secret.hpp>

#include <fstream>
#include <string>
#include <sys/resource.h>

using namespace certctl;

namespace {

/// VmLck of this process in KiB (locked memory), from /proc/self/status.
long locked_kib() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmLck:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

}  // namespace

TEST_CASE("SecretBytes are locked in memory and unlocked when destroyed", "[core]") {
  rlimit lim{};
  REQUIRE(::getrlimit(RLIMIT_MEMLOCK, &lim) == 0);
  const long before = locked_kib();
  REQUIRE(before >= 0);
#if defined(__SANITIZE_ADDRESS__)
  const bool observable = false;  // AddressSanitizer intercepts mlock and munlock as no-ops
  WARN("built with AddressSanitizer, which turns mlock into a no-op: locking is checked in the plain build");
#else
  const bool observable = true;
#endif
  if (lim.rlim_cur != RLIM_INFINITY && lim.rlim_cur < static_cast<rlim_t>(before + 256) * 1024)
    WARN("RLIMIT_MEMLOCK too low to observe locking here");
  else if (observable) {
    {
      SecretBytes s(64 * 1024);
      s.data()[0] = 1;
      CHECK(locked_kib() >= before + 64);
      SecretBytes t = SecretBytes::from("short secret");  // pages of its own
      CHECK(locked_kib() >= before + 68);
    }
    CHECK(locked_kib() == before);
  }
}

TEST_CASE("SecretBytes work when nothing may be locked", "[core]") {
  rlimit saved{};
  REQUIRE(::getrlimit(RLIMIT_MEMLOCK, &saved) == 0);
  rlimit none = saved;
  none.rlim_cur = 0;
  REQUIRE(::setrlimit(RLIMIT_MEMLOCK, &none) == 0);
  {
    SecretBytes s = SecretBytes::from("passphrase\n");
    s.append(std::string(100000, 'x'));
    s.resize(11);
    s.trim_newline();
    CHECK(s.view() == "passphrase");
    SecretBytes moved = std::move(s);
    CHECK(moved.view() == "passphrase");
    CHECK(s.empty());
  }
  REQUIRE(::setrlimit(RLIMIT_MEMLOCK, &saved) == 0);
}
