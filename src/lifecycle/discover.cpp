// certctl discover: certificates found at TLS endpoints and in files become records of
// source `discovered`, one per place, never renewed here. Probing and reading happen without
// the vault lock; recording happens under one lock for the whole run.
#include <certctl/cert_file.hpp>
#include <certctl/crypto.hpp>
#include <certctl/fs.hpp>
#include <certctl/interrupt.hpp>
#include <certctl/lifecycle.hpp>
#include <certctl/trace.hpp>

#include "lifecycle/internal.hpp"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <map>
#include <thread>

#include <fmt/format.h>

namespace certctl::lifecycle {

using namespace detail;

namespace {

/// The most places one run records (files may hold many certificates), and per file.
constexpr std::size_t kMaxPlaces = 10000;
constexpr std::size_t kMaxPlacesPerFile = 64;

/// A chain seen at one place, ready to be recorded (or why the place could not be read).
struct Sighting {
  std::string place;
  std::string name;  ///< the record it goes to
  std::vector<crypto::Certificate> chain;  ///< leaf first; empty when failed or skipped
  std::string verify;                      ///< TLS: "ok" or why not; files: ""
  std::optional<Error> error;
  bool skipped = false;  ///< not an error: nothing to record (error says what was found)
};

/// Lower case; anything but letters, digits, '.' and '-' becomes '_' (a record name part).
std::string name_part(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '.' || c == '-') out += static_cast<char>(std::tolower(c));
    else out += '_';
  }
  return out;
}

std::string short_hash(std::string_view place) { return crypto::hex_encode(crypto::sha256(place)).substr(0, 12); }

/// "tls-HOST-PORT" (with "-sni-NAME" when another name is sent), or "tls-<hash>" when that
/// would be over 64 characters.
std::string tls_record_name(const TlsTarget& t) {
  std::string name = fmt::format("tls-{}-{}", name_part(t.host), t.port);
  if (!t.sni.empty() && t.sni != t.host) name += "-sni-" + name_part(t.sni);
  if (name.size() > 64) name = "tls-" + short_hash(t.place());
  return name;
}

/// "file-<12 hex digits of the place's SHA-256>".
std::string file_record_name(std::string_view place) { return "file-" + short_hash(place); }

/// What the vault holds about certificates of managed and imported records: fingerprint ->
/// (record, version), and each record's current version.
struct Links {
  std::map<std::string, std::pair<std::string, int>> by_fingerprint;
  std::map<std::string, int> current;
};

Result<Links> load_links(Context ctx) {
  Links links;
  std::vector<vault::UnreadableRecord> unreadable;  // a record that cannot be read links nothing
  TRY(ctx.vault.for_each_record([&](vault::Record&& r) -> Status {
    if (r.source == vault::Source::Discovered) return ok();
    links.current[r.name] = r.version;
    for (const auto& h : r.history)
      if (!h.fingerprint_sha256.empty()) links.by_fingerprint[h.fingerprint_sha256] = {r.name, h.version};
    if (r.cert && !r.cert->fingerprint_sha256.empty()) links.by_fingerprint[r.cert->fingerprint_sha256] = {r.name, r.version};
    return ok();
  }, &unreadable));
  return links;
}

/// The record's names from the certificate: CN (else the first SAN) as domain, the others as
/// SANs. Not checked as --domain is: a certificate found is recorded as it is.
void take_names(vault::Record& r, const crypto::CertInfo& info) {
  std::vector<std::string> names;
  if (!info.subject.cn.empty()) names.push_back(info.subject.cn);
  for (const auto& n : info.dns_names) names.push_back(n);
  for (const auto& n : info.ip_addresses) names.push_back(n);
  r.domain = names.empty() ? std::string() : names.front();
  r.sans.clear();
  for (std::size_t i = 1; i < names.size(); ++i)
    if (names[i] != r.domain && std::find(r.sans.begin(), r.sans.end(), names[i]) == r.sans.end())
      r.sans.push_back(names[i]);
}

std::string key_type_of(const crypto::CertInfo& info) {
  if (info.key_type) return std::string(crypto::key_type_name(*info.key_type));
  return info.key_description;
}

/// Record one sighting (the caller holds the lock).
DiscoverItem record_sighting(Context ctx, Sighting& s, const Links& links, UnixTime now) {
  DiscoverItem item;
  item.place = s.place;
  item.name = s.name;
  if (s.error) {
    item.outcome = s.skipped ? DiscoverOutcome::Skipped : DiscoverOutcome::Failed;
    item.error = std::move(s.error);
    return item;
  }
  auto fail = [&](Error e) {
    item.outcome = DiscoverOutcome::Failed;
    item.error = std::move(e);
    return item;
  };
  if (Status valid = vault::validate_name(s.name); !valid) return fail(valid.error());
  const crypto::CertInfo info = s.chain.front().info();
  vault::Record r;
  const bool exists = ctx.vault.exists(s.name);
  if (exists) {
    auto loaded = load_existing(ctx, s.name);
    if (!loaded) return fail(loaded.error());
    r = std::move(*loaded);
    if (r.source != vault::Source::Discovered || r.seen_at != s.place)
      return fail(Error(Category::State, s.name,
                        r.source != vault::Source::Discovered
                            ? fmt::format("is a {} record, not where {} is recorded; rename it to discover this place",
                                          vault::source_name(r.source), s.place)
                            : fmt::format("records {}, not {}", r.seen_at, s.place)));
  }
  const bool same = exists && r.cert && r.cert->fingerprint_sha256 == info.fingerprint_sha256;
  std::optional<vault::Vault::VersionFiles> files;
  if (same) {
    item.outcome = DiscoverOutcome::SeenAgain;
  } else {
    if (exists) {
      retire_current(r, "changed", now);
      item.outcome = DiscoverOutcome::Changed;
    } else {
      r.name = s.name;
      r.created = now;
      r.seen_at = s.place;
      item.outcome = DiscoverOutcome::New;
    }
    r.version += 1;
    std::vector<crypto::Certificate> rest;
    for (std::size_t i = 1; i < s.chain.size(); ++i) rest.push_back(s.chain[i].clone());
    files = vault::Vault::VersionFiles{r.version, {{std::string(kCertFile), s.chain.front().to_pem()}}};
    if (!rest.empty()) files->files.emplace_back(std::string(kChainFile), crypto::to_pem_bundle(rest));
    take_names(r, info);
    r.key_type = key_type_of(info);
    r.ca.clear();
    r.issued_by = info.issuer_cn.empty() ? info.issuer_dn : info.issuer_cn;
    r.status = vault::CertStatus::Active;
    r.source = vault::Source::Discovered;
    r.has_key = r.has_csr = false;
    r.has_cert = true;
    r.has_chain = !rest.empty();
    r.cert = meta_from(info);
    r.issued = info.not_before;
    r.first_seen = now;
  }
  r.last_seen = now;
  r.updated = now;
  r.verify_result = s.verify;
  r.linked_to.clear();
  r.linked_version = 0;
  if (auto it = links.by_fingerprint.find(info.fingerprint_sha256); it != links.by_fingerprint.end()) {
    r.linked_to = it->second.first;
    r.linked_version = it->second.second;
  }
  if (Status saved = ctx.vault.save(r, files); !saved) return fail(saved.error());
  if (item.outcome != DiscoverOutcome::SeenAgain) {
    std::vector<std::pair<std::string, std::string>> details{
        {"place", s.place}, {"fingerprint_sha256", info.fingerprint_sha256}, {"version", std::to_string(r.version)}};
    if (!r.linked_to.empty()) details.emplace_back("linked_to", r.linked_to);
    (void)audit(ctx, item.outcome == DiscoverOutcome::New ? "discover" : "discover-changed", s.name, std::move(details));
  }
  item.version = r.version;
  item.domain = r.domain;
  item.fingerprint_sha256 = info.fingerprint_sha256;
  item.verify = s.verify;
  item.not_after = info.not_after;
  item.linked_to = r.linked_to;
  item.linked_version = r.linked_version;
  if (!r.linked_to.empty())
    if (auto cur = links.current.find(r.linked_to); cur != links.current.end())
      item.linked_current = cur->second == r.linked_version;
  return item;
}

/// Record every sighting under one lock, in order.
Result<DiscoverReport> record_all(Context ctx, std::vector<Sighting>& sightings) {
  DiscoverReport report;
  TRY_ASSIGN(vault::VaultLock lock, ctx.vault.lock());
  TRY_ASSIGN(Links links, load_links(ctx));
  const UnixTime now = ctx.clock.now();
  for (Sighting& s : sightings) {
    report.items.push_back(record_sighting(ctx, s, links, now));
    trace::step(fmt::format("discover: {} {}", s.place, to_string(report.items.back().outcome)));
  }
  return report;
}

/// Each TLS target's chain, `parallel` probes at a time. No exception leaves a worker.
std::vector<Sighting> probe_all(const DiscoverTlsRequest& req) {
  const std::size_t n = req.targets.size();
  std::vector<std::optional<Result<http::TlsPeer>>> results(n);
  const std::chrono::milliseconds timeout = req.timeout;
  const TlsProbe probe = req.probe ? req.probe : [](const TlsTarget& t, std::chrono::milliseconds to) {
    return http::probe_tls(t.host, t.port, t.sni, to);
  };
  std::atomic<std::size_t> next{0};
  auto work = [&]() noexcept {
    for (;;) {
      const std::size_t i = next.fetch_add(1);
      if (i >= n) return;
      try {
        if (interrupted()) results[i].emplace(Error(Category::Aborted, req.targets[i].place(), "interrupted"));
        else results[i].emplace(probe(req.targets[i], timeout));
      } catch (...) {
        results[i].emplace(Error(Category::Internal, req.targets[i].place(), "the probe failed unexpectedly"));
      }
    }
  };
  std::vector<std::thread> workers;
  const std::size_t want = std::min<std::size_t>(static_cast<std::size_t>(std::max(1, req.parallel)), n);
  for (std::size_t k = 1; k < want; ++k) {
    try {
      workers.emplace_back(work);
    } catch (...) {
      break;  // fewer threads than asked (a resource limit): the others share the work
    }
  }
  work();
  for (auto& t : workers) t.join();

  std::vector<Sighting> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    Sighting s;
    s.place = req.targets[i].place();
    s.name = tls_record_name(req.targets[i]);
    Result<http::TlsPeer>& got = *results[i];
    if (!got) {
      s.error = got.error();
      out.push_back(std::move(s));
      continue;
    }
    s.verify = got->verify;
    for (std::size_t k = 0; k < got->chain_der.size() && !s.error; ++k) {
      auto certs = crypto::parse_certificates(got->chain_der[k], s.place);
      if (!certs) s.error = certs.error();
      else s.chain.push_back(std::move(certs->front()));
    }
    if (s.chain.empty() && !s.error) s.error = Error(Category::Network, s.place, "the server presented no certificate");
    if (s.error) s.chain.clear();
    out.push_back(std::move(s));
  }
  return out;
}

/// The sightings of one file: each certificate that is not a CA with the CA certificates
/// after it, or the single certificate of a file that holds one.
void sightings_of_file(const std::string& path, std::vector<Sighting>& out) {
  const std::string place = "file:" + path;
  auto single = [&](Sighting s) {
    s.place = place;
    s.name = file_record_name(place);
    out.push_back(std::move(s));
  };
  auto data = fs::read_file(path, kMaxDiscoverFileSize);
  if (!data) {
    Sighting s;
    s.error = data.error();
    return single(std::move(s));
  }
  auto found = crypto::read_cert_file(*data, path);
  if (!found) {
    Sighting s;
    s.error = found.error();
    return single(std::move(s));
  }
  if (!*found) return;  // not a certificate file
  crypto::CertFile& f = **found;
  if (f.password_protected) {
    Sighting s;
    s.skipped = true;
    s.error = Error(Category::Input, path, "a PKCS#12 file with a password; discover reads only those without one");
    return single(std::move(s));
  }
  std::vector<bool> is_ca;
  for (const auto& c : f.certs) is_ca.push_back(c.info().is_ca);
  if (f.certs.size() == 1) is_ca[0] = false;  // a file's one certificate is recorded whatever it is
  std::vector<std::vector<crypto::Certificate>> chains;
  for (std::size_t i = 0; i < f.certs.size(); ++i) {
    if (!is_ca[i]) chains.emplace_back();
    if (!chains.empty()) chains.back().push_back(std::move(f.certs[i]));
  }
  if (chains.empty()) {
    Sighting s;
    s.skipped = true;
    s.error = Error(Category::Input, path,
                    fmt::format("holds {} CA certificates and no other (a trust store, not a server's certificate)", f.certs.size()));
    return single(std::move(s));
  }
  if (chains.size() > kMaxPlacesPerFile) {
    Sighting s;
    s.error = Error(Category::Input, path, fmt::format("holds {} certificates that are not CAs; at most {} per file", chains.size(), kMaxPlacesPerFile));
    return single(std::move(s));
  }
  for (std::size_t i = 0; i < chains.size(); ++i) {
    Sighting s;
    s.place = i == 0 ? place : fmt::format("{}#{}", place, i + 1);
    s.name = file_record_name(s.place);
    s.chain = std::move(chains[i]);
    out.push_back(std::move(s));
  }
}

/// Regular files below `dir` (itself when it is one), sorted; symbolic links are not followed.
Status collect_files(const std::string& dir, std::vector<std::string>& files, std::size_t& entries,
                     std::vector<Sighting>& failures) {
  namespace stdfs = std::filesystem;
  std::error_code ec;
  const stdfs::path root = stdfs::absolute(dir, ec).lexically_normal();
  auto fail_root = [&](Category c, std::string why, std::string cause = {}) {
    Sighting s;
    s.place = "file:" + dir;
    s.error = Error(c, dir, std::move(why), std::move(cause));
    failures.push_back(std::move(s));
    return ok();
  };
  const stdfs::file_status st = stdfs::status(root, ec);  // the named directory itself may be a link
  if (ec || st.type() == stdfs::file_type::not_found) return fail_root(Category::NotFound, "no such file or directory");
  if (st.type() == stdfs::file_type::regular) {
    files.push_back(root.string());
    return ok();
  }
  if (st.type() != stdfs::file_type::directory) return fail_root(Category::Input, "not a directory or a file");
  stdfs::recursive_directory_iterator it(root, stdfs::directory_options::skip_permission_denied, ec);
  if (ec) return fail_root(Category::Input, "cannot read the directory", ec.message());
  for (; it != stdfs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) return fail_root(Category::Input, "cannot read the directory", ec.message());
    if (++entries > kMaxDiscoverEntries)
      return Error(Category::Input, dir, fmt::format("more than {} entries to walk; name smaller directories", kMaxDiscoverEntries));
    if (it.depth() >= kMaxDiscoverDepth) it.disable_recursion_pending();
    std::error_code e2;
    const stdfs::file_status ls = it->symlink_status(e2);
    if (e2 || ls.type() != stdfs::file_type::regular) continue;  // links, devices, sockets; directories are walked
    const auto size = it->file_size(e2);
    if (e2 || size == 0 || size > kMaxDiscoverFileSize) continue;
    files.push_back(it->path().string());
  }
  return ok();
}

}  // namespace

std::string_view to_string(DiscoverOutcome o) {
  switch (o) {
    case DiscoverOutcome::New: return "new";
    case DiscoverOutcome::SeenAgain: return "seen again";
    case DiscoverOutcome::Changed: return "changed";
    case DiscoverOutcome::Skipped: return "skipped";
    case DiscoverOutcome::Failed: return "failed";
  }
  return "?";
}

std::size_t DiscoverReport::count(DiscoverOutcome o) const {
  return static_cast<std::size_t>(std::count_if(items.begin(), items.end(), [&](const DiscoverItem& i) { return i.outcome == o; }));
}

int DiscoverReport::exit_code() const {
  for (const auto& i : items)
    if (i.outcome == DiscoverOutcome::Failed) return i.error ? i.error->exit_code() : certctl::exit_code(Category::Internal);
  return 0;
}

Result<DiscoverReport> discover_tls(Context ctx, const DiscoverTlsRequest& req) {
  if (req.parallel < 1 || req.parallel > kMaxDiscoverParallel)
    return Error(Category::Usage, "--parallel", fmt::format("must be 1 to {}", kMaxDiscoverParallel));
  if (req.timeout.count() < 1 || req.timeout.count() > kMaxDiscoverTimeout)
    return Error(Category::Usage, "--timeout", fmt::format("must be 1 to {} seconds", kMaxDiscoverTimeout));
  if (req.targets.empty()) return Error(Category::Usage, "target", "no target given (HOST:PORT ... or --file LIST)");
  if (req.targets.size() > kMaxDiscoverTargets)
    return Error(Category::Usage, "target", fmt::format("more than {} targets in one run; split them", kMaxDiscoverTargets));
  std::vector<Sighting> sightings = probe_all(req);
  return record_all(ctx, sightings);
}

Result<DiscoverReport> discover_files(Context ctx, const std::vector<std::string>& dirs) {
  if (dirs.empty()) return Error(Category::Usage, "DIR", "name at least one directory");
  std::vector<std::string> files;
  std::vector<Sighting> sightings;
  std::size_t entries = 0;
  for (const auto& d : dirs) TRY(collect_files(d, files, entries, sightings));
  std::sort(files.begin(), files.end());
  files.erase(std::unique(files.begin(), files.end()), files.end());
  for (const auto& f : files) {
    TRY(check_interrupted("discover"));
    sightings_of_file(f, sightings);
    if (sightings.size() > kMaxPlaces)
      return Error(Category::Input, f, fmt::format("more than {} certificates found in one run; name smaller directories", kMaxPlaces));
  }
  TRY_ASSIGN(DiscoverReport report, record_all(ctx, sightings));
  report.files_read = files.size();
  return report;
}

Result<std::vector<ServedPlace>> served_places(Context ctx, const vault::Record& r) {
  std::vector<ServedPlace> out;
  if (r.source == vault::Source::Discovered) return out;
  std::vector<vault::UnreadableRecord> unreadable;  // `show` of one record does not fail for another
  TRY(ctx.vault.for_each_record([&](vault::Record&& d) -> Status {
    if (d.source == vault::Source::Discovered && d.linked_to == r.name)
      out.push_back(ServedPlace{d.name, d.seen_at, d.linked_version, d.linked_version == r.version, d.last_seen});
    return ok();
  }, &unreadable));
  std::sort(out.begin(), out.end(), [](const ServedPlace& a, const ServedPlace& b) { return a.place < b.place; });
  return out;
}

}  // namespace certctl::lifecycle
