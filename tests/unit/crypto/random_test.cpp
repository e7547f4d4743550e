#include <certctl/crypto.hpp>

#include <catch2/catch.hpp>

#include <map>
#include <string>

using namespace certctl;
using namespace certctl::crypto;

TEST_CASE("random_bytes and random_secret return fresh bytes of the requested size", "[crypto]") {
  CHECK(random_bytes(0).empty());
  std::string a = random_bytes(32), b = random_bytes(32);
  CHECK(a.size() == 32);
  CHECK(a != b);  // 2^-256 chance of a false failure
  SecretBytes s = random_secret(48), t = random_secret(48);
  CHECK(s.size() == 48);
  CHECK_FALSE(constant_time_equal(s, t));
}

TEST_CASE("random_password uses only the unambiguous alphabet", "[crypto]") {
  SecretBytes p = random_password();
  CHECK(p.size() == 24);
  CHECK(random_password(40).size() == 40);
  CHECK(random_password(0).empty());

  // Enough characters that every symbol shows up, and none of the ambiguous ones may.
  std::map<char, int> counts;
  for (int i = 0; i < 50; ++i) {
    SecretBytes pw = random_password(400);
    for (char c : pw.view()) counts[c]++;
  }
  for (char c : std::string("0Oo1lI")) CHECK(counts.count(c) == 0);
  for (const auto& [c, n] : counts) {
    bool alnum = (c >= '2' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
    CHECK(alnum);
  }
  CHECK(counts.size() == 56);
  // 20,000 draws over 56 symbols: about 357 each. A biased or truncated mapping shows up as a
  // symbol far from that; the bounds are wide enough never to fail by chance.
  for (const auto& [c, n] : counts) {
    CHECK(n > 200);
    CHECK(n < 550);
  }
  CHECK_FALSE(constant_time_equal(random_password(), random_password()));
}
