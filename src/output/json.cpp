#include <certctl/output.hpp>
#include <certctl/record_fields.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <type_traits>

namespace certctl::output {
namespace {

using Json = nlohmann::ordered_json;

Json time_or_null(UnixTime t) { return t ? Json(format_rfc3339(t)) : Json(nullptr); }
Json str_or_null(const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); }

std::string dump(const Json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

/// The fields `list --json` promises (a contract for scripts: add, never rename).
Json summary(const vault::Record& r, UnixTime now) {
  Json j;
  j["name"] = r.name;
  j["domain"] = r.domain;
  j["sans"] = r.sans;
  j["status"] = vault::status_name(vault::effective_status(r, now));
  j["ca"] = str_or_null(r.ca);
  const vault::CertMeta* c = r.cert ? &*r.cert : nullptr;
  j["not_before"] = time_or_null(c ? c->not_before : 0);
  j["not_after"] = time_or_null(c ? c->not_after : 0);
  auto days = vault::days_remaining(r, now);
  j["days_remaining"] = days ? Json(*days) : Json(nullptr);
  j["auto_renew_days"] = vault::auto_renew_days(r);
  j["auto_renew"] = vault::renews_here(r.source);
  j["serial_hex"] = c ? str_or_null(c->serial_hex) : Json(nullptr);
  j["fingerprint_sha256"] = c ? str_or_null(c->fingerprint_sha256) : Json(nullptr);
  j["issuer"] = c ? str_or_null(c->issuer) : Json(nullptr);
  j["issued_by"] = str_or_null(r.issued_by);
  j["key_type"] = r.key_type;
  j["source"] = vault::source_name(r.source);
  j["wildcard"] = r.wildcard();
  j["version"] = r.version;
  return j;
}

/// One stored field as JSON: an empty string or a zero time is null (or the field's default).
template <class T>
Json field_json(const vault::Field<T>& f, const T& obj) {
  Json out;
  vault::visit_field(f, obj, vault::Overloaded{
      [&](const std::string& v) {
        out = !v.empty() ? Json(v) : f.shown_default.empty() ? Json(nullptr) : Json(std::string(f.shown_default));
      },
      [&](int v) { out = v == 0 && (f.flags & vault::kNullWhenZero) ? Json(nullptr) : Json(v); },
      [&](bool v) { out = v; },
      [&](UnixTime v) { out = time_or_null(v); },
      [&](const std::vector<std::string>& v) { out = v; },
      [&](vault::NamedEnum auto v) { out = vault::enum_name(v); },
  });
  return out;
}

template <class T>
Json part_json(std::span<const vault::Field<T>> fields, const T& obj) {
  Json j = Json::object();
  for (const auto& f : fields) j[std::string(f.json())] = field_json(f, obj);
  return j;
}

/// "deployments": one object per host whose agent deployed (or failed to deploy) the record.
Json deployments_json(const vault::Record& r, const DeployResults& deployed) {
  Json a = Json::array();
  for (const auto& [host, results] : deployed) {
    auto it = results.find(r.name);
    if (it == results.end()) continue;
    const vault::DeployResult& d = it->second;
    Json e;
    e["host"] = host;
    e["state"] = vault::deploy_state_name(d.state);
    e["version"] = d.version;
    e["current"] = d.version == r.version;
    e["at"] = time_or_null(d.at);
    e["error"] = d.error.empty() ? Json(nullptr) : Json(d.error);
    e["targets"] = d.targets;
    a.push_back(std::move(e));
  }
  return a;
}

/// `show --json`: the summary, then every stored field (record_fields() and its sections).
Json details(const vault::Record& r, UnixTime now) {
  Json j = summary(r, now);
  for (const auto& f : vault::record_fields()) {
    const std::string section(vault::json_section(f.section));
    Json& target = section.empty() ? j : j[section];
    target[std::string(f.json())] = field_json(f, r);
  }
  j["expires"] = time_or_null(r.cert ? r.cert->not_after : 0);
  if (r.ari.cert_id.empty()) j["ari"] = nullptr;
  if (r.cert) {
    Json cj = part_json(vault::cert_fields(), *r.cert);
    // These stood at the top level before "certificate" existed; scripts may still read them.
    for (const char* key : {"serial_dec", "fingerprint_sha1", "fingerprint_md5", "key_size", "signature_algorithm"})
      j[key] = cj[key];
    j["certificate"] = std::move(cj);
  } else {
    j["certificate"] = nullptr;
  }
  Json h = Json::array();
  for (const auto& e : r.history) h.push_back(part_json(vault::history_fields(), e));
  j["history"] = std::move(h);
  return j;
}

}  // namespace

void RecordsJsonWriter::add(const vault::Record& r) {
  // One object at a time, so memory holds one JSON tree; the text is the same as dumping the
  // whole array with an indent of 2.
  Json j = summary(r, now_);
  if (deployed_) j["deployments"] = deployments_json(r, *deployed_);
  const std::string obj = dump(j, 2);
  std::string out = any_ ? ",\n  " : "[\n  ";
  out.reserve(out.size() + obj.size() + obj.size() / 8);
  for (char c : obj) {
    out += c;
    if (c == '\n') out += "  ";
  }
  any_ = true;
  sink_(out);
}

void RecordsJsonWriter::finish() { sink_(any_ ? "\n]" : "[]"); }

std::string records_json(const std::vector<vault::Record>& records, UnixTime now, const DeployResults* deployed) {
  std::string out;
  RecordsJsonWriter w([&out](std::string_view s) { out += s; }, now, deployed);
  for (const auto& r : records) w.add(r);
  w.finish();
  return out;
}

std::string record_json(const vault::Record& r, UnixTime now, const DeployResults* deployed,
                        const std::vector<lifecycle::ServedPlace>* served) {
  Json j = details(r, now);
  if (deployed) j["deployments"] = deployments_json(r, *deployed);
  if (served) {
    Json a = Json::array();
    for (const auto& p : *served)
      a.push_back({{"place", p.place}, {"record", p.record}, {"version", p.version}, {"current", p.current},
                   {"last_seen", time_or_null(p.last_seen)}});
    j["served_at"] = std::move(a);
  }
  return dump(j, 2);
}

std::string discover_json(const lifecycle::DiscoverReport& report, UnixTime now) {
  Json j;
  j["new"] = report.count(lifecycle::DiscoverOutcome::New);
  j["seen_again"] = report.count(lifecycle::DiscoverOutcome::SeenAgain);
  j["changed"] = report.count(lifecycle::DiscoverOutcome::Changed);
  j["skipped"] = report.count(lifecycle::DiscoverOutcome::Skipped);
  j["failed"] = report.count(lifecycle::DiscoverOutcome::Failed);
  Json items = Json::array();
  for (const auto& i : report.items) {
    Json o;
    o["place"] = i.place;
    o["record"] = str_or_null(i.name);
    o["result"] = lifecycle::to_string(i.outcome);
    const bool recorded = i.outcome != lifecycle::DiscoverOutcome::Failed && i.outcome != lifecycle::DiscoverOutcome::Skipped;
    o["version"] = recorded ? Json(i.version) : Json(nullptr);
    o["domain"] = recorded ? str_or_null(i.domain) : Json(nullptr);
    o["fingerprint_sha256"] = recorded ? str_or_null(i.fingerprint_sha256) : Json(nullptr);
    o["not_after"] = time_or_null(recorded ? i.not_after : 0);
    o["days_remaining"] = recorded && i.not_after ? Json(days_until(now, i.not_after)) : Json(nullptr);
    o["tls_verify"] = str_or_null(i.verify);
    o["linked_to"] = str_or_null(i.linked_to);
    o["linked_version"] = i.linked_version ? Json(i.linked_version) : Json(nullptr);
    o["linked_current"] = i.linked_to.empty() ? Json(nullptr) : Json(i.linked_current);
    if (i.error) {
      o["error"]["category"] = category_name(i.error->category());
      o["error"]["message"] = i.error->text();
      o["error"]["exit_code"] = i.error->exit_code();
    } else {
      o["error"] = nullptr;
    }
    items.push_back(std::move(o));
  }
  j["items"] = std::move(items);
  return dump(j, 2);
}

std::string error_json(const Error& e) {
  Json j;
  j["error"]["category"] = category_name(e.category());
  j["error"]["subject"] = e.subject();
  j["error"]["message"] = e.cause().empty() ? e.message() : e.message() + ": " + e.cause();
  j["error"]["exit_code"] = e.exit_code();
  return dump(j, 2);
}

std::string vault_info_json(const std::string& path, const vault::VaultInfo& info,
                            const std::vector<std::pair<std::string, int>>& counts) {
  Json j;
  j["path"] = path;
  j["format"] = info.format;
  j["created"] = str_or_null(info.created);
  j["unlock_method"] = info.method;
  j["kdf"] = info.kdf;
  if (info.kdf == "scrypt") j["scrypt"] = {{"n", info.scrypt_n}, {"r", info.scrypt_r}, {"p", info.scrypt_p}};
  Json c = Json::object();
  int total = 0;
  for (const auto& [k, v] : counts) {
    c[k] = v;
    total += v;
  }
  j["records"] = total;
  j["by_status"] = std::move(c);
  return dump(j, 2);
}

namespace {
Json local_ca_object(const ca::LocalCaInfo& info) {
  Json j;
  j["subject"] = info.subject_dn;
  j["key"] = info.key_description;
  j["serial_hex"] = info.serial_hex;
  j["fingerprint_sha256"] = info.fingerprint_sha256;
  j["not_before"] = time_or_null(info.not_before);
  j["not_after"] = time_or_null(info.not_after);
  return j;
}
}  // namespace

std::string local_ca_json(const ca::LocalCaInfo& info) { return dump(local_ca_object(info), 2); }

std::string local_ca_certs_json(const std::vector<ca::LocalCaCert>& certs) {
  Json list = Json::array();
  for (const auto& c : certs) {
    Json j = local_ca_object(c.info);
    j["kind"] = std::string(ca::to_string(c.kind));
    j["id"] = c.id;
    j["parent_root"] = c.kind == ca::LocalCaKind::Intermediate ? Json(c.parent) : Json();
    j["state"] = std::string(ca::to_string(c.state));
    j["retire_at"] = time_or_null(c.retire_at);
    j["path_len"] = c.constraints.path_len >= 0 ? Json(c.constraints.path_len) : Json();
    j["permitted"] = c.constraints.permitted;
    j["excluded"] = c.constraints.excluded;
    list.push_back(std::move(j));
  }
  Json out;
  out["certificates"] = std::move(list);
  return dump(out, 2);
}

namespace {
Json profile_json(const ca::CaProfile& p) {
  Json j;
  j["name"] = p.name;
  j["type"] = p.is_local() ? "local" : "acme";
  j["directory"] = str_or_null(p.directory);
  j["ca_bundle"] = str_or_null(p.ca_bundle);
  j["eab_kid"] = str_or_null(p.eab_kid);
  j["eab_required"] = p.eab_required;
  j["tech_zone"] = str_or_null(p.tech_zone);
  j["allow_wildcard"] = p.allow_wildcard;
  j["profile"] = str_or_null(p.profile);
  j["staging"] = str_or_null(p.staging);
  j["builtin"] = p.builtin;
  return j;
}
}  // namespace

std::string ca_profiles_json(const std::vector<ca::CaProfile>& profiles) {
  Json arr = Json::array();
  for (const auto& p : profiles) arr.push_back(profile_json(p));
  return dump(arr, 2);
}

std::string ca_profile_json(const ca::CaProfile& p) { return dump(profile_json(p), 2); }

std::string account_json(const ca::Account& a) {
  Json j;
  j["ca"] = a.ca;
  j["url"] = a.url;
  j["status"] = acme::to_string(a.status);
  j["contact"] = a.contact;
  j["key_type"] = a.key_type;
  j["created"] = time_or_null(a.created);
  return dump(j, 2);
}

std::string renew_report_json(const lifecycle::RenewReport& report) {
  Json j;
  j["dry_run"] = report.dry_run;
  j["checked"] = report.checked;
  std::size_t renewed = 0, failed = 0;
  Json items = Json::array();
  for (const auto& i : report.items) {
    renewed += i.outcome == lifecycle::RenewOutcome::Renewed || i.outcome == lifecycle::RenewOutcome::Validated;
    failed += lifecycle::is_failure(i.outcome);
    Json o;
    o["name"] = i.name;
    o["outcome"] = lifecycle::to_string(i.outcome);
    o["reason"] = i.reason;
    o["error"] = str_or_null(i.error);
    o["exit_code"] = i.exit_code;
    o["issued_by"] = str_or_null(i.issued_by);
    o["serial_hex"] = str_or_null(i.serial_hex);
    o["not_after"] = time_or_null(i.not_after);
    items.push_back(std::move(o));
  }
  j["renewed"] = renewed;
  j["failed"] = failed;
  j["hook_error"] = report.hook_error ? Json(report.hook_error->text()) : Json(nullptr);
  Json unreadable = Json::array();
  for (const auto& u : report.unreadable) unreadable.push_back({{"name", u.name}, {"error", u.error.text()}});
  j["unreadable"] = std::move(unreadable);
  j["items"] = std::move(items);
  return dump(j, 2);
}

std::string orders_json(const std::vector<vault::Vault::LoggedOrder>& orders) {
  Json arr = Json::array();
  for (const auto& o : orders) {
    Json j;
    j["time"] = o.time;
    j["name"] = o.entry.name;
    j["ca"] = o.entry.ca;
    j["type"] = o.entry.type;
    j["status"] = o.entry.status;
    j["user"] = o.user;
    if (!o.host.empty()) j["host"] = o.host;
    j["duration_s"] = o.entry.duration_s;
    j["error"] = str_or_null(o.entry.error);
    j["replaces"] = str_or_null(o.entry.replaces);
    arr.push_back(std::move(j));
  }
  return dump(arr, 2);
}

std::string audit_report_json(const vault::AuditReport& r) {
  Json j;
  j["intact"] = r.intact();
  j["lines"] = r.lines;
  j["unchained"] = r.unchained;
  j["keyed"] = r.keyed;
  j["sealed"] = r.sealed;
  j["unverifiable"] = r.unverifiable;
  j["unverifiable_from"] = r.unverifiable ? Json(r.unverifiable_from) : Json(nullptr);
  Json problems = Json::array();
  for (const auto& p : r.problems) {
    Json e;
    e["line"] = p.line ? Json(p.line) : Json(nullptr);
    e["time"] = str_or_null(p.time);
    e["action"] = str_or_null(p.action);
    e["problem"] = p.problem;
    problems.push_back(std::move(e));
  }
  j["problems"] = std::move(problems);
  return dump(j, 2);
}

std::string audit_entry_json(const vault::AuditEntry& e) {
  Json j;
  j["seq"] = e.seq ? Json(e.seq) : Json(nullptr);
  j["time"] = e.time;
  j["user"] = e.user;
  j["host"] = str_or_null(e.host);
  j["action"] = e.action;
  j["record"] = str_or_null(e.certificate);
  Json d = Json::object();
  for (const auto& [k, v] : e.details) d[k] = v;
  j["details"] = std::move(d);
  return dump(j, -1);
}

std::string policy_json(const vault::Policy& p) {
  Json j = Json::object();
  for (const auto& spec : vault::rule_specs()) {
    const vault::RuleSetting& r = p[spec.rule];
    if (!r.set) {
      j[std::string(spec.name)] = nullptr;
      continue;
    }
    Json rule;
    rule["severity"] = vault::severity_name(r.severity);
    if (spec.kind == vault::RuleKind::Number) rule["value"] = r.number;
    else if (spec.kind == vault::RuleKind::AllowDeny) rule["value"] = r.values.empty() ? "allow" : r.values.front();
    else rule["values"] = r.values;
    j[std::string(spec.name)] = std::move(rule);
  }
  return dump(j, 2);
}

std::string violations_json(const std::vector<vault::Violation>& v) {
  Json j;
  j["allowed"] = std::none_of(v.begin(), v.end(), [](const auto& x) { return x.severity == vault::Severity::Hard; });
  Json list = Json::array();
  for (const auto& x : v)
    list.push_back(Json{{"rule", vault::spec_of(x.rule).name}, {"severity", vault::severity_name(x.severity)},
                        {"value", x.value}, {"message", x.message}});
  j["violations"] = std::move(list);
  return dump(j, 2);
}

namespace {

/// `head` plus one member per option of the table, in table order (see lifecycle::ConfigOption).
template <class T>
Json config_json(const lifecycle::ConfigTable<T>& table, const T& value, Json head) {
  for (const auto& o : table) {
    head[std::string(o.json)] = std::visit(
        [&](auto member) -> Json {
          const auto& v = value.*member;
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, std::string>) {
            return o.required ? Json(v) : str_or_null(v);
          } else if constexpr (std::is_same_v<V, int>) {
            return o.base == 8 ? Json(fmt::format("{:04o}", v)) : Json(v);
          } else {
            return Json(v);
          }
        },
        o.member);
  }
  return head;
}

Json dns_provider(const lifecycle::DnsProviderInfo& p) {
  return config_json(lifecycle::dns_provider_options(), p,
                     {{"name", p.name}, {"type", p.type}, {"options", p.options}, {"secrets", p.secrets}});
}

}  // namespace

std::string notifiers_json(const std::vector<lifecycle::NotifierSpec>& notifiers) {
  Json arr = Json::array();
  for (const auto& n : notifiers)
    arr.push_back(config_json(lifecycle::notifier_options(), n, {{"name", n.name}, {"type", n.type}}));
  return dump(arr, 2);
}

std::string deploy_targets_json(const std::vector<lifecycle::DeployTarget>& targets) {
  Json arr = Json::array();
  for (const auto& t : targets) arr.push_back(config_json(lifecycle::deploy_target_options(), t, {{"name", t.name}}));
  return dump(arr, 2);
}

std::string hosts_json(const std::vector<lifecycle::HostInfo>& hosts) {
  Json arr = Json::array();
  for (const auto& h : hosts)
    arr.push_back(config_json(lifecycle::host_options(), h, {{"name", h.name}, {"created", time_or_null(h.created)}}));
  return dump(arr, 2);
}

std::string dns_providers_json(const std::vector<lifecycle::DnsProviderInfo>& providers) {
  Json arr = Json::array();
  for (const auto& p : providers) arr.push_back(dns_provider(p));
  return dump(arr, 2);
}

std::string dns_provider_json(const lifecycle::DnsProviderInfo& provider) { return dump(dns_provider(provider), 2); }

std::string dns_check_json(const std::vector<lifecycle::DnsCheckItem>& items) {
  Json arr = Json::array();
  for (const auto& i : items)
    arr.push_back({{"name", i.name},
                   {"target", i.target},
                   {"expected", str_or_null(i.expected)},
                   {"ok", i.ok},
                   {"instruction", str_or_null(i.instruction)}});
  return dump(arr, 2);
}

}  // namespace certctl::output
