// wait_propagation: ask every authoritative server of each record's zone for the TXT values,
// all records together, until all are served or the timeout passes.
#include <certctl/dns.hpp>
#include <certctl/interrupt.hpp>
#include <certctl/trace.hpp>

#include <algorithm>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "dns/wire.hpp"

namespace certctl::dns {

namespace {

/// One name on one server, and the values it must serve.
struct Check {
  Server server;
  std::string fqdn;
  std::set<std::string> want;
  bool done = false;
  std::string lag;  // why it is not done yet: missing values or the error
};

}  // namespace

namespace {

Status wait_until_served(Resolver& resolver, const std::vector<TxtRecord>& records, std::chrono::seconds timeout,
                         std::chrono::milliseconds interval, const Progress& progress) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto deadline = start + timeout;
  // "(12 s of 120 s)": how long it has waited, and for how long it will.
  auto waited = [&] {
    const auto s = std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - start).count();
    return fmt::format("({} s of {} s)", s, timeout.count());
  };
  if (records.empty()) return ok();

  // Servers per zone, then one check per (server, name) with every value wanted there.
  std::map<std::string, std::vector<Server>> servers_of;
  std::map<std::pair<std::string, std::string>, size_t> index;  // (server, fqdn) -> checks[i]
  std::vector<Check> checks;
  for (const TxtRecord& r : records) {
    std::string zone = r.zone;
    if (zone.empty()) {
      TRY_ASSIGN(zone, resolver.zone_of(r.fqdn));
    }
    zone = wire::absolute(zone);
    if (!servers_of.count(zone)) {
      TRY_ASSIGN(std::vector<Server> list, resolver.authoritative(zone));
      servers_of[zone] = std::move(list);
    }
    const std::string fqdn = wire::absolute(r.fqdn);
    for (const Server& s : servers_of[zone]) {
      auto key = std::make_pair(s.display(), fqdn);
      auto it = index.find(key);
      if (it == index.end()) {
        it = index.emplace(key, checks.size()).first;
        checks.push_back(Check{s, fqdn, {}, false, ""});
      }
      checks[it->second].want.insert(r.value);
    }
  }

  for (;;) {
    for (Check& c : checks) {
      if (c.done) continue;
      auto got = resolver.txt_at(c.server, c.fqdn);
      if (!got) {
        c.lag = got.error().text();
        continue;
      }
      size_t missing = 0;
      for (const std::string& v : c.want) {
        if (std::find(got->begin(), got->end(), v) == got->end()) ++missing;
      }
      c.done = missing == 0;
      c.lag = fmt::format("{} of {} value{} missing", missing, c.want.size(), c.want.size() == 1 ? "" : "s");
    }
    size_t done = std::count_if(checks.begin(), checks.end(), [](const Check& c) { return c.done; });
    if (done == checks.size()) {
      if (progress)
        progress(fmt::format("{} of {} server checks see every record: propagated {}", done, checks.size(), waited()));
      trace::step(fmt::format("dns-01: {} TXT record{} served by every authoritative server {}", records.size(),
                              records.size() == 1 ? "" : "s", waited()));
      return ok();
    }
    if (Clock::now() + interval > deadline) break;
    if (progress)
      progress(fmt::format("{} of {} server checks see every record; waiting for the rest {}", done, checks.size(),
                           waited()));
    TRY(interruptible_sleep(interval, "dns-01 propagation"));
  }

  std::vector<std::string> lagging;
  for (const Check& c : checks) {
    if (!c.done) lagging.push_back(fmt::format("{} for {} ({})", c.server.display(), c.fqdn, c.lag));
  }
  return Error(Category::Dns, "dns-01 propagation",
               fmt::format("TXT records not served within {} s by {} of {} server checks: {}", timeout.count(),
                           lagging.size(), checks.size(), fmt::join(lagging, "; ")));
}

}  // namespace

Status wait_propagation(Resolver& resolver, const std::vector<TxtRecord>& records, std::chrono::seconds timeout,
                        std::chrono::milliseconds interval, const Progress& progress) {
  Status st = wait_until_served(resolver, records, timeout, interval, progress);
  if (!st && progress) progress({});  // clear the progress line before the error is shown
  return st;
}

}  // namespace certctl::dns
