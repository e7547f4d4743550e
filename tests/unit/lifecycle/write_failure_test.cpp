// Every mutating command, stopped at each of its writes in turn (storage::MemoryStore fails the
// Nth write), leaves the vault as it was or as a successful run leaves it (issue 11, 1): the
// command says so with an error and never throws, the audit chain stays intact, running it
// again succeeds, and nothing a record does not refer to is left under certs/ once a later
// save of the record has swept.
//
// One table of operations (set-up, the command) driven by one loop: write_failure_positions().
#include <catch2/catch.hpp>

#include <certctl/ca.hpp>
#include <certctl/crypto.hpp>
#include <certctl/fs.hpp>
#include <certctl/lifecycle.hpp>

#include "fake_http.hpp"
#include "temp_dir.hpp"

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <fmt/format.h>

using namespace certctl;

namespace {

constexpr UnixTime kNow = 1'800'000'000;
constexpr UnixTime kDay = 86400;
constexpr const char* kVersionFiles[] = {"key.enc", "csr.pem", "cert.pem", "chain.pem"};

vault::UnlockSecret new_secret() { return test::passphrase("the new passphrase"); }

/// A vault over a MemoryStore. Each run of a command gets a Vault opened afresh from the store
/// and unlocked, as each certctl process does; `unlocked_with` says which secret worked.
struct World {
  std::shared_ptr<storage::MemoryStore> store = std::make_shared<storage::MemoryStore>();
  std::optional<vault::Vault> vault{test::make_memory_vault(store, kNow)};
  FixedClock clock{kNow};
  test::FakeHttp fake_http;  // no routes: everything here is local
  http::ClientFactory clients = fake_http.factory();
  test::TempDir dir;  // input files (a CSR, a certificate to import, an EAB key)
  std::string unlocked_with = "original";

  lifecycle::Context ctx() { return {*vault, clock, clients, false}; }

  /// Open the vault from the store and unlock it with the original secret, else the new one
  /// (a rekey may have landed); neither is a failure of the test.
  void reopen() {
    auto v = vault::Vault::open(store);
    REQUIRE(v);
    vault.reset();
    vault.emplace(std::move(v).value());
    if (vault->unlock(test::passphrase())) {
      unlocked_with = "original";
    } else {
      REQUIRE(vault->unlock(new_secret()));
      unlocked_with = "new";
    }
  }
};

void require(const Status& st) {
  if (!st) FAIL(st.error().text());
}
template <class T>
T require(Result<T> r) {
  if (!r) FAIL(r.error().text());
  return std::move(r).value();
}

// ---- set-up steps -----------------------------------------------------------------------------

lifecycle::RecordFields fields(const std::string& domain) {
  lifecycle::RecordFields f;
  f.domain = domain;
  return f;
}

void local_ca(World& w) { require(lifecycle::init_local_ca(w.ctx(), {"test CA", "ec256", 3650, 0, {}, {}})); }
void draft(World& w) { require(lifecycle::create(w.ctx(), "web", fields("web.example.test"))); }
void pending(World& w) {
  draft(w);
  require(lifecycle::make_csr(w.ctx(), "web"));
}
void issued(World& w) {
  local_ca(w);
  pending(w);
  require(lifecycle::issue(w.ctx(), "web", {}));
}

/// A local CA made before intermediates: ca/local/root.pem and key.enc, no state file.
void legacy_ca(World& w) {
  auto key = require(crypto::PrivateKey::generate(crypto::KeyType::Ec256));
  crypto::Subject rs;
  rs.cn = "old CA";
  auto root = require(crypto::make_self_signed_ca(key, rs, {"0c", kNow - kDay, kNow + 3650 * kDay, true, "", -1, {}, {}}));
  require(w.vault->store().put(vault::Layout::ca_file("local", "key.enc"), require(w.vault->seal("ca/local", key.to_pem()))));
  require(w.vault->store().put(vault::Layout::ca_file("local", "root.pem"), root.to_pem()));
}
Status rotate(World& w, bool root) {
  ca::LocalCaRotate req;
  req.root = root;
  auto made = lifecycle::rotate_local_ca(w.ctx(), req);
  if (!made) return made.error();
  return ok();
}

/// What import reads: a key, a certificate for it from a throwaway root, and that root as
/// the chain, on disk (made by the set-up, so every run imports the same).
lifecycle::ImportRequest import_request(World& w) {
  lifecycle::ImportRequest req;
  req.cert_file = w.dir.file("cert.pem");
  req.key_file = w.dir.file("key.pem");
  req.chain_file = w.dir.file("chain.pem");
  return req;
}
void import_files(World& w) {
  auto root_key = require(crypto::PrivateKey::generate(crypto::KeyType::Ec256));
  crypto::Subject rs;
  rs.cn = "Import Root";
  auto root = require(crypto::make_self_signed_ca(root_key, rs, {"0a", kNow - kDay, kNow + 3650 * kDay, true, "", -1, {}, {}}));
  auto key = require(crypto::PrivateKey::generate(crypto::KeyType::Ec256));
  crypto::CsrRequest cr;
  cr.subject.cn = "imported.example.test";
  cr.dns_names = {"imported.example.test"};
  auto csr = require(crypto::parse_csr(require(crypto::make_csr(key, cr)), "csr"));
  auto leaf = require(crypto::sign_csr(csr, root, root_key, {"0b", kNow - kDay, kNow + 90 * kDay, false, "", -1, {}, {}}));
  const lifecycle::ImportRequest req = import_request(w);
  require(fs::write_file_atomic(req.cert_file, leaf.to_pem()));
  require(fs::write_file_atomic(req.key_file, key.to_pem().view()));
  require(fs::write_file_atomic(req.chain_file, root.to_pem()));
}

/// A CSR made elsewhere, for adopt_csr (made by the set-up).
std::string csr_file(World& w) { return w.dir.file("web.csr"); }
void draft_and_csr_file(World& w) {
  draft(w);
  auto key = require(crypto::PrivateKey::generate(crypto::KeyType::Ec256));
  crypto::CsrRequest cr;
  cr.subject.cn = "web.example.test";
  cr.dns_names = {"web.example.test"};
  require(fs::write_file_atomic(csr_file(w), require(crypto::make_csr(key, cr))));
}

ca::CaProfile corp_profile() {
  ca::CaProfile p;
  p.name = "corp";
  p.directory = "https://acme.corp.test/directory";
  p.eab_kid = "kid-1";
  return p;
}
std::string eab_file(World& w) {
  const std::string path = w.dir.file("eab.txt");
  require(fs::write_file_atomic(path, crypto::base64url_encode("an EAB HMAC key of 32 bytes.....")));
  return path;
}
void corp_ca(World& w) { require(lifecycle::add_ca(w.ctx(), corp_profile(), eab_file(w))); }

/// The account key save_account stores, made once so every run stores the same one.
const crypto::PrivateKey& account_key() {
  static const crypto::PrivateKey key = require(crypto::PrivateKey::generate(crypto::KeyType::Ec256));
  return key;
}
ca::Account corp_account() {
  ca::Account a;
  a.ca = "corp";
  a.url = "https://acme.corp.test/acct/7";
  a.contact = {"mailto:ops@example.test"};
  a.key_type = "ec256";
  a.created = kNow;
  return a;
}
Status save_corp_account(World& w) {
  TRY_ASSIGN(vault::VaultLock lock, w.vault->lock());
  (void)lock;
  return ca::save_account(*w.vault, corp_account(), &account_key());
}

lifecycle::DnsProviderInput dns_provider() {
  lifecycle::DnsProviderInput d;
  d.name = "corpdns";
  d.type = "exec";
  d.options = {{"command", "/bin/true"}};
  d.tech_zone = "acme.example.test";
  return d;
}
lifecycle::NotifierSpec notifier() {
  lifecycle::NotifierSpec n;
  n.name = "ops";
  n.type = "webhook";
  n.url = "https://hooks.example.test/certctl";
  n.events = {"failure", "success"};
  return n;
}
lifecycle::DeployTarget deploy_target() {
  lifecycle::DeployTarget t;
  t.name = "files";
  t.records = {"web"};
  t.cert = "/etc/ssl/{name}/cert.pem";
  t.key = "/etc/ssl/{name}/key.pem";
  return t;
}

/// The record is due: 70 of its 90 days have passed (threshold: the last 30).
void issued_and_due(World& w) {
  issued(w);
  w.clock.set(kNow + 70 * kDay);
}

Status renew_web(World& w) {
  lifecycle::RenewRequest req;
  req.names = {"web"};
  auto report = lifecycle::renew(w.ctx(), req);
  if (!report) return std::move(report).error();
  if (report->items.size() != 1 || report->items[0].outcome != lifecycle::RenewOutcome::Renewed)
    return Error(Category::Internal, "web",
                 report->items.empty() ? "not renewed" : "not renewed: " + report->items[0].error);
  return ok();
}

Status rekey(World& w) {
  TRY_ASSIGN(vault::VaultLock lock, w.vault->lock());
  (void)lock;
  TRY(w.vault->rekey(new_secret(), 1024));
  return w.vault->audit("rekey", "", {{"unlock", "passphrase"}}, w.clock.now());
}

template <class T>
Status status_of(const Result<T>& r) {
  if (!r) return r.error();
  return ok();
}

// ---- what the vault holds, read back through its API -----------------------------------------

/// The vault as its API reads it back. Exact: every value as read. Masked: what differs
/// between two successful runs of one command (new keys, serials, signatures, sealing nonces)
/// replaced by checks that bind it to the rest (the certificate is the one the record
/// describes, the key opens and belongs to it), so "the state a successful run produces" can
/// be compared with a run made separately.
struct State {
  std::vector<vault::Record> records;
  std::map<std::string, std::string> facts;
  bool operator==(const State&) const = default;
};

std::string describe_difference(const State& a, const State& b) {
  std::string out;
  if (a.records != b.records) out += "records differ; ";
  std::set<std::string> keys;
  for (const auto& [k, _] : a.facts) keys.insert(k);
  for (const auto& [k, _] : b.facts) keys.insert(k);
  for (const auto& k : keys) {
    auto ia = a.facts.find(k), ib = b.facts.find(k);
    const std::string va = ia == a.facts.end() ? "<none>" : ia->second;
    const std::string vb = ib == b.facts.end() ? "<none>" : ib->second;
    if (va != vb) out += fmt::format("{}: [{}] vs [{}]; ", k, va.substr(0, 120), vb.substr(0, 120));
  }
  return out;
}

void mask_record(vault::Record& r) {
  if (r.cert) r.cert->serial_dec = r.cert->serial_hex = r.cert->fingerprint_md5 = r.cert->fingerprint_sha1 =
                  r.cert->fingerprint_sha256 = "*";
  for (auto& h : r.history) h.serial_hex = h.fingerprint_sha256 = "*";
}

/// One file of a record's version, as a fact.
std::string file_fact(World& w, const vault::Record& r, int version, std::string_view file, bool masked) {
  auto got = w.vault->read_file(r.name, version, file);
  if (!got) return "<unreadable: " + got.error().text() + ">";
  if (!masked) return *got;
  const std::string where = fmt::format("{}/v{}/{}", r.name, version, file);
  const vault::HistoryEntry* h = nullptr;
  for (const auto& e : r.history)
    if (e.version == version) h = &e;
  const std::string want_serial = version == r.version ? (r.cert ? r.cert->serial_hex : "") : (h ? h->serial_hex : "");
  if (file == "key.enc") {
    auto pem = w.vault->open_sealed(r.name, *got, where);
    if (!pem) return "<key does not open>";
    auto key = crypto::PrivateKey::parse(*pem, where);
    if (!key) return "<key does not parse>";
    std::string fact = "key " + key->description();
    if (auto cert = w.vault->read_file(r.name, version, "cert.pem")) {
      auto certs = crypto::parse_certificates(*cert, where);
      fact += certs && crypto::key_matches(certs->front(), *key) ? ", matches cert" : ", does not match cert";
    }
    if (auto csr_pem = w.vault->read_file(r.name, version, "csr.pem")) {
      auto csr = crypto::parse_csr(*csr_pem, where);
      fact += csr && crypto::key_matches(*csr, *key) ? ", matches csr" : ", does not match csr";
    }
    return fact;
  }
  if (file == "cert.pem") {
    auto certs = crypto::parse_certificates(*got, where);
    if (!certs) return "<cert does not parse>";
    const crypto::CertInfo i = certs->front().info();
    return fmt::format("cert of {} by {} {}..{}, serial {}", i.subject_dn, i.issuer_dn, i.not_before, i.not_after,
                       i.serial_hex == want_serial ? "as recorded" : "NOT as recorded (" + i.serial_hex + ")");
  }
  if (file == "csr.pem") {
    auto csr = crypto::parse_csr(*got, where);
    if (!csr) return "<csr does not parse>";
    return fmt::format("csr for {} {}", fmt::join(csr->dns_names, ","), csr->key_description);
  }
  return *got;  // chain.pem: the CA's, the same every run
}

State read_back(World& w, bool masked) {
  w.store->fail_write(0);
  w.reopen();
  State s;
  s.facts["unlocks with"] = w.unlocked_with;
  s.records = require(w.vault->load_all());
  for (const auto& r : s.records) {
    if (r.version > 0) {
      const bool flags[] = {r.has_key, r.has_csr, r.has_cert, r.has_chain};
      for (std::size_t i = 0; i < 4; ++i)
        if (flags[i]) s.facts[fmt::format("{}/v{}/{}", r.name, r.version, kVersionFiles[i])] =
                          file_fact(w, r, r.version, kVersionFiles[i], masked);
    }
    for (const auto& h : r.history)
      for (const char* f : kVersionFiles)
        if (require(w.vault->has_file(r.name, h.version, f)))
          s.facts[fmt::format("{}/v{}/{}", r.name, h.version, f)] = file_fact(w, r, h.version, f, masked);
  }
  if (masked)
    for (auto& r : s.records) mask_record(r);
  for (const char* kind : {"dns", "notify", "deploy"})
    for (const auto& c : require(vault::load_configs(*w.vault, kind))) {
      std::string fact = fmt::format("type={} created={}", c.type, c.created);
      for (const auto& [k, v] : c.options) fact += fmt::format(" {}={}", k, v);
      for (const auto& [k, _] : c.sealed) {
        auto opened = vault::open_config_secret(*w.vault, kind, c, k);
        fact += fmt::format(" sealed {}={}", k, opened ? std::string(opened->view()) : "<does not open>");
      }
      s.facts[fmt::format("{} {}", kind, c.name)] = fact;
    }
  for (const auto& p : require(ca::list_profiles(*w.vault))) {
    std::string fact = fmt::format("{} bundle={} eab_kid={} eab_required={} tech_zone={} wildcard={} profile={} staging={} builtin={}",
                                   p.directory, p.ca_bundle, p.eab_kid, p.eab_required, p.tech_zone, p.allow_wildcard,
                                   p.profile, p.staging, p.builtin);
    if (!p.eab_kid.empty()) {
      auto hmac = ca::load_eab_hmac(*w.vault, p.name);
      fact += " eab=" + (hmac ? crypto::hex_encode(hmac->view()) : "<does not open>");
    }
    s.facts["ca " + p.name] = fact;
    if (auto account = require(ca::load_account(*w.vault, p.name))) {
      auto key = ca::load_account_key(*w.vault, p.name);
      s.facts["account " + p.name] =
          fmt::format("{} {} {} {} {} key={}", account->url, fmt::join(account->contact, ","),
                      acme::to_string(account->status), account->key_type, account->created,
                      key ? std::string(key->to_pem().view()) : "<does not open>");
    }
  }
  if (ca::local_ca_exists(*w.vault)) {
    // Every root and intermediate, and whether its key opens and is the certificate's.
    for (const auto& c : require(ca::local_ca_list(*w.vault, kNow))) {
      const ca::LocalCaInfo& i = c.info;
      s.facts[fmt::format("local CA {} {}", ca::to_string(c.kind), c.id)] =
          fmt::format("{} {} {}..{} {} retire {} parent {} serial {} fingerprint {}", i.subject_dn, i.key_description,
                      i.not_before, i.not_after, ca::to_string(c.state), c.retire_at, c.parent, masked ? "*" : i.serial_hex,
                      masked ? "*" : i.fingerprint_sha256);
    }
    // It signs: a CRL of the current issuer (opens its key).
    s.facts["local CA signs"] = ca::local_ca_crl(*w.vault, kNow) ? "yes" : "no";
  }
  // The issuance policy, as policy.toml holds it.
  if (auto policy = require(vault::load_policy(*w.vault)); !policy.empty()) s.facts["policy"] = vault::render_policy_toml(policy);
  // The local CA's revocation list: what its CRL lists.
  if (auto revoked = require(w.vault->store().get(vault::Layout::ca_file("local", "revoked.txt"), fs::kMaxLogSize)))
    s.facts["local CA revoked"] = revoked->data;
  return s;
}

bool audit_intact(World& w) {
  w.reopen();
  auto report = w.vault->verify_audit();
  if (!report) FAIL(report.error().text());
  for (const auto& p : report->problems) UNSCOPED_INFO("audit line " << p.line << ": " << p.problem);
  return report->intact();
}

/// Keys under certs/ that no record refers to: a record's directory holds its record.toml,
/// the files of its current version its flags claim, and its history versions.
std::vector<std::string> unreferenced_keys(World& w) {
  w.reopen();
  std::map<std::string, vault::Record> by_name;
  for (auto& r : require(w.vault->load_all())) by_name.emplace(r.name, std::move(r));
  std::vector<std::string> out;
  for (const auto& [key, _] : w.store->dump()) {
    if (key.rfind("certs/", 0) != 0) continue;
    const std::string rest = key.substr(6);
    const auto slash = rest.find('/');
    auto it = by_name.find(rest.substr(0, slash));
    if (it == by_name.end()) {
      out.push_back(key);
      continue;
    }
    const vault::Record& r = it->second;
    const std::string in = rest.substr(slash + 1);
    if (in == "record.toml") continue;
    bool referenced = false;
    for (const auto& h : r.history)
      referenced = referenced || in.rfind(fmt::format("v{}/", h.version), 0) == 0;
    const bool flags[] = {r.has_key, r.has_csr, r.has_cert, r.has_chain};
    for (std::size_t i = 0; i < 4; ++i)
      referenced = referenced || (flags[i] && in == fmt::format("v{}/{}", r.version, kVersionFiles[i]));
    if (!referenced) out.push_back(key);
  }
  return out;
}

/// A later save of every record (the next command that touches it): sweeps what a change cut
/// short after its commit point left.
void save_every_record(World& w) {
  w.reopen();
  auto lock = require(w.vault->lock());
  for (const auto& r : require(w.vault->load_all())) require(w.vault->save(r));
}

// ---- the table and the loop ------------------------------------------------------------------

struct Operation {
  std::string name;
  std::function<void(World&)> setup;  ///< brings the vault to the state before (no failures)
  std::function<Status(World&)> run;  ///< the command, as the CLI runs it
  /// A fact the CA changes before the record is written (a revocation: the CA's act, as it is
  /// for an ACME CA). A run cut between the two may leave just that fact changed; running the
  /// command again must then complete it.
  std::string ca_first = {};
};

struct Run {
  bool ok = false;
  bool threw = false;
  std::string error;
};

Run run_guarded(const Operation& op, World& w) {
  Run out;
  try {
    Status st = op.run(w);
    out.ok = st.ok();
    if (!st) out.error = st.error().text();
  } catch (const std::exception& e) {
    out.threw = true;
    out.error = e.what();
  } catch (...) {
    out.threw = true;
  }
  return out;
}

/// Runs `op` once to count its writes, then once per write position N (1 .. writes + 1) from
/// the same starting state with the Nth write failing. Returns the positions tested.
std::size_t write_failure_positions(const Operation& op) {
  INFO("operation: " << op.name);
  World w;
  if (op.setup) op.setup(w);
  w.reopen();
  const storage::MemoryStore::Snapshot start = w.store->snapshot();
  const State before = read_back(w, false);
  REQUIRE(audit_intact(w));

  // The successful run: what it writes, and the state it leaves.
  w.store->restore(start);
  w.reopen();
  const std::size_t first = w.store->writes();
  const Run success = run_guarded(op, w);
  INFO("successful run: " << success.error);
  REQUIRE(success.ok);
  const std::vector<std::string> all_keys = w.store->written_keys();
  const std::vector<std::string> keys(all_keys.begin() + static_cast<std::ptrdiff_t>(first), all_keys.end());
  REQUIRE(keys.size() >= 1);
  const State after = read_back(w, true);
  REQUIRE(read_back(w, false) != before);  // it changed something
  CHECK(audit_intact(w));
  CHECK(unreferenced_keys(w).empty());

  std::size_t positions = 0;
  for (std::size_t n = 1; n <= keys.size() + 1; ++n) {
    INFO("write " << n << " of " << keys.size() << (n <= keys.size() ? " (" + keys[n - 1] + ")" : " (none: succeeds)"));
    w.store->restore(start);
    w.reopen();
    const std::size_t at = w.store->writes();
    w.store->fail_write(n);
    const Run failed = run_guarded(op, w);
    w.store->fail_write(0);
    ++positions;
    INFO("the run said: " << failed.error);
    CHECK_FALSE(failed.threw);
    const std::vector<std::string> now_keys = w.store->written_keys();
    const std::vector<std::string> attempted(now_keys.begin() + static_cast<std::ptrdiff_t>(at), now_keys.end());
    // Best-effort writes: a record cache that cannot be written is a cache not refreshed, and
    // orders.log a line of history missing; neither stops the command, which goes on to write
    // the rest as a successful run does.
    const bool best_effort =
        n <= keys.size() && (keys[n - 1] == vault::Layout::record_cache() || keys[n - 1] == vault::Layout::orders_log());
    if (best_effort) {
      CHECK(attempted == keys);
    } else if (n <= keys.size()) {
      // The same writes as the successful run up to the one that failed, then none.
      CHECK(attempted == std::vector<std::string>(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(n)));
      CHECK_FALSE(failed.ok);
    } else {
      CHECK(attempted == keys);
      CHECK(failed.ok);
    }

    const State exact = read_back(w, false);
    const bool as_before = exact == before;
    const State masked = read_back(w, true);
    const bool as_after = masked == after;
    INFO("vs before: " << describe_difference(exact, before));
    INFO("vs after: " << describe_difference(masked, after));
    // Before, except that the CA acted already (see Operation::ca_first).
    bool ca_ahead = false;
    if (!op.ca_first.empty() && !as_before && !as_after) {
      State without = exact, before_without = before;
      without.facts.erase(op.ca_first);
      before_without.facts.erase(op.ca_first);
      ca_ahead = without == before_without;
    }
    CHECK((as_before || as_after || ca_ahead));
    CHECK(audit_intact(w));

    if (as_before || ca_ahead) {
      // Running it again succeeds and gives the success state.
      const Run again = run_guarded(op, w);
      INFO("the run again said: " << again.error);
      CHECK(again.ok);
      const State then = read_back(w, true);
      INFO("again vs after: " << describe_difference(then, after));
      CHECK(then == after);
      CHECK(audit_intact(w));
      CHECK(unreferenced_keys(w) == std::vector<std::string>{});
    } else {
      // It landed; the next save of each record sweeps what the cut-short tail left.
      save_every_record(w);
      CHECK(read_back(w, true) == after);
      CHECK(unreferenced_keys(w) == std::vector<std::string>{});
    }
  }
  CHECK(positions == keys.size() + 1);
  return positions;
}

const std::vector<Operation>& operations() {
  static const std::vector<Operation> ops = {
      {"create", nullptr, [](World& w) { return status_of(lifecycle::create(w.ctx(), "web", fields("web.example.test"))); }},
      {"edit (renew days)", draft,
       [](World& w) {
         lifecycle::RecordFields f;
         f.renew_days = 20;
         return status_of(lifecycle::edit(w.ctx(), "web", f, {}));
       }},
      {"edit that discards the CSR version", pending,
       [](World& w) {
         auto e = lifecycle::edit(w.ctx(), "web", fields("www.example.test"), {});
         if (e && !e->csr_discarded) return Status(Error(Category::Internal, "web", "CSR not discarded"));
         return status_of(e);
       }},
      {"make_csr", draft, [](World& w) { return status_of(lifecycle::make_csr(w.ctx(), "web")); }},
      {"make_csr replacing an unissued CSR version", pending,
       [](World& w) { return status_of(lifecycle::make_csr(w.ctx(), "web")); }},
      {"adopt_csr", draft_and_csr_file,
       [](World& w) { return status_of(lifecycle::adopt_csr(w.ctx(), "web", csr_file(w))); }},
      {"remove", issued, [](World& w) { return lifecycle::remove(w.ctx(), "web"); }},
      {"import_certificate", import_files,
       [](World& w) { return status_of(lifecycle::import_certificate(w.ctx(), "imported", import_request(w))); }},
      {"policy_set", nullptr,
       [](World& w) {
         lifecycle::PolicyChange c;
         c.lists.emplace_back(vault::PolicyRule::NameDeny, std::vector<std::string>{".evil.test"});
         c.severities.emplace_back(vault::PolicyRule::NameDeny, vault::Severity::Soft);
         return status_of(lifecycle::policy_set(w.ctx(), c));
       }},
      {"issue with a soft policy violation (audited before the change)",
       [](World& w) {
         local_ca(w);
         pending(w);
         lifecycle::PolicyChange c;
         c.lists.emplace_back(vault::PolicyRule::NameAllow, std::vector<std::string>{"other.test"});
         c.severities.emplace_back(vault::PolicyRule::NameAllow, vault::Severity::Soft);
         require(lifecycle::policy_set(w.ctx(), c));
       },
       [](World& w) { return status_of(lifecycle::issue(w.ctx(), "web", {})); }},
      {"init_local_ca", nullptr, [](World& w) { return status_of(lifecycle::init_local_ca(w.ctx(), {"test CA", "ec256", 3650, 0, {}, {}})); }},
      {"issue with the local CA", [](World& w) { local_ca(w); pending(w); },
       [](World& w) { return status_of(lifecycle::issue(w.ctx(), "web", {})); }},
      {"re-issue with the local CA (version 2, version 1 retired)", issued,
       [](World& w) {
         auto r = lifecycle::issue(w.ctx(), "web", {});
         if (r && (r->version != 2 || r->history.size() != 1))
           return Status(Error(Category::Internal, "web", "not version 2 with version 1 in history"));
         return status_of(r);
       }},
      {"renew of a due record with the local CA", issued_and_due, renew_web},
      {"revoke with the local CA", issued, [](World& w) { return status_of(lifecycle::revoke(w.ctx(), "web", 4)); },
       "local CA revoked"},
      {"ca local rotate --intermediate", issued, [](World& w) { return rotate(w, false); }},
      {"ca local rotate --root", issued, [](World& w) { return rotate(w, true); }},
      {"ca local rotate --intermediate of a vault made before intermediates (migration)", legacy_ca,
       [](World& w) { return rotate(w, false); }},
      {"issue with a local CA made before intermediates", [](World& w) { legacy_ca(w); pending(w); },
       [](World& w) { return status_of(lifecycle::issue(w.ctx(), "web", {})); }},
      {"ca profile save", nullptr, [](World& w) { return lifecycle::add_ca(w.ctx(), corp_profile(), eab_file(w)); }},
      {"ca profile remove", [](World& w) { corp_ca(w); require(save_corp_account(w)); },
       [](World& w) { return lifecycle::remove_ca(w.ctx(), "corp"); }},
      {"account save", corp_ca, save_corp_account},
      {"dns add", nullptr, [](World& w) { return lifecycle::dns_add(w.ctx(), dns_provider()); }},
      {"dns remove", [](World& w) { require(lifecycle::dns_add(w.ctx(), dns_provider())); },
       [](World& w) { return lifecycle::dns_remove(w.ctx(), "corpdns"); }},
      {"notify add", nullptr, [](World& w) { return lifecycle::notify_add(w.ctx(), notifier()); }},
      {"notify remove", [](World& w) { require(lifecycle::notify_add(w.ctx(), notifier())); },
       [](World& w) { return lifecycle::notify_remove(w.ctx(), "ops"); }},
      {"deploy target add", nullptr, [](World& w) { return lifecycle::deploy_target_add(w.ctx(), deploy_target()); }},
      {"deploy target remove", [](World& w) { require(lifecycle::deploy_target_add(w.ctx(), deploy_target())); },
       [](World& w) { return lifecycle::deploy_target_remove(w.ctx(), "files"); }},
      {"vault rekey", issued, rekey},
  };
  return ops;
}

}  // namespace

TEST_CASE("MemoryStore: restore puts a snapshot back and never hands out a revision twice", "[write-failure]") {
  storage::MemoryStore store;
  REQUIRE(store.put("a", "1"));
  const auto snap = store.snapshot();
  const storage::Revision r1 = require(store.get("a", 100))->revision;
  REQUIRE(store.put("a", "2"));
  REQUIRE(store.put("b", "x"));
  const storage::Revision r2 = require(store.get("a", 100))->revision;
  store.restore(snap);
  CHECK(store.dump() == std::vector<std::pair<std::string, std::string>>{{"a", "1"}});
  CHECK(require(store.get("a", 100))->revision == r1);
  REQUIRE(store.put("a", "3"));
  CHECK(require(store.get("a", 100))->revision > r2);
  CHECK(store.written_keys() == std::vector<std::string>{"a", "a", "b", "a"});
}

TEST_CASE("every mutating command leaves the vault whole when any one of its writes fails", "[write-failure]") {
  for (const Operation& op : operations()) {
    DYNAMIC_SECTION(op.name) {
      const std::size_t positions = write_failure_positions(op);
      CHECK(positions >= 2);  // at least one write, and the run past the last one
      WARN(op.name << ": " << positions << " write positions tested");
    }
  }
}
