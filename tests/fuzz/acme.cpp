// The ACME client (src/acme) against a CA that answers with the input: directory, nonces,
// accounts, orders, authorizations, challenges, polling, finalize, download with alternate
// chains, renewalInfo (RFC 9773), revocation, problem documents, and the headers it reads
// (Replay-Nonce, Location, Link, Retry-After). The input is the CA's answers in order, each
//
//   STATUS
//   Header: value            (any number of lines)
//                            (an empty line)
//   body...
//   %%                       (a line of its own ends the answer)
//
// and the flow asks whatever the previous answers told it to (the order's authorization URLs,
// the challenge URL, the certificate URL), as the ACME issuer does. Once the answers run out,
// every request is a network error, so each step ends.
#include "fuzz.hpp"

#include <certctl/acme.hpp>
#include <certctl/clock.hpp>
#include <certctl/crypto.hpp>

#include <charconv>
#include <deque>

using namespace certctl;

namespace {

class ScriptedCa final : public http::Client {
 public:
  explicit ScriptedCa(std::string_view script) {
    while (!script.empty()) {
      std::size_t end = script.find("\n%%\n");
      std::string_view one = script.substr(0, end);
      script.remove_prefix(end == std::string_view::npos ? script.size() : end + 4);
      answers_.push_back(parse(one));
    }
  }

  Result<http::Response> send(const http::Request& req) override {
    if (answers_.empty()) return Error(Category::Network, req.url, "the script has ended");
    http::Response r = std::move(answers_.front());
    answers_.pop_front();
    return r;
  }

 private:
  static http::Response parse(std::string_view one) {
    http::Response r;
    auto line = [&]() {
      const std::size_t nl = one.find('\n');
      std::string_view l = one.substr(0, nl);
      one.remove_prefix(nl == std::string_view::npos ? one.size() : nl + 1);
      return l;
    };
    const std::string_view status = line();
    std::from_chars(status.data(), status.data() + status.size(), r.status);
    for (std::string_view l = line(); !l.empty(); l = line()) {
      const std::size_t colon = l.find(':');
      if (colon == std::string_view::npos) continue;
      std::string_view v = l.substr(colon + 1);
      if (!v.empty() && v.front() == ' ') v.remove_prefix(1);
      r.headers.push_back({std::string(l.substr(0, colon)), std::string(v)});
    }
    r.body = std::string(one);
    return r;
  }

  std::deque<http::Response> answers_;
};

const crypto::Signer& account_key() {
  static const std::unique_ptr<crypto::Signer> signer =
      std::move(crypto::make_key_signer(std::move(crypto::PrivateKey::generate(crypto::KeyType::Ec256)).value()))
          .value();
  return *signer;
}

template <class T>
void check(const Result<T>& r) {
  if (!r) fuzz::touch(r.error());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view script = fuzz::as_text(data, size);
  if (auto p = acme::parse_problem(script)) {
    (void)p->summary();
    (void)p->hint();
  }
  ScriptedCa ca(script);
  FixedClock clock(1'800'000'000);
  acme::Timing timing;
  timing.poll_min_s = 0;
  timing.poll_max_s = 0;
  timing.deadline_s = 0.05;
  acme::Client client(ca, "https://ca.test/dir", clock, timing);
  if (auto st = client.load_directory(); !st) {
    fuzz::touch(st.error());
    return 0;
  }
  client.set_account(&account_key(), "");
  auto account = client.new_account({"mailto:ops@example.test"}, true, false, std::nullopt);
  check(account);
  client.set_account(&account_key(), account ? account->url : "https://ca.test/acct/1");

  auto order = client.new_order({{"dns", "example.test"}, {"dns", "*.example.test"}}, "", "");
  check(order);
  if (order) {
    for (const std::string& url : order->authorizations) {
      auto authz = client.get_authorization(url);
      check(authz);
      if (!authz) continue;
      for (const auto& ch : authz->challenges) {
        if (ch.type != "http-01" && ch.type != "dns-01") continue;
        if (auto st = client.respond(ch); !st) fuzz::touch(st.error());
        check(client.wait_authorization(url));
        break;
      }
    }
    auto ready = client.wait_order(order->url, acme::OrderStatus::Ready);
    check(ready);
    auto done = client.finalize(ready ? *ready : *order, "csr");
    check(done);
    if (done && !done->certificate.empty()) check(client.download(done->certificate, true));
  }
  auto ari = client.renewal_info("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
  check(ari);
  if (auto st = client.revoke("der", 4, nullptr); !st) fuzz::touch(st.error());
  if (auto last = client.last_problem()) (void)last->summary();
  return 0;
}
