// Issuing through ACME (RFC 8555): order, answer every authorization together, finalize with
// the vault's CSR, download (alternate chains for --preferred-chain).
#include <certctl/acme.hpp>
#include <certctl/challenge.hpp>
#include <certctl/http.hpp>
#include <certctl/trace.hpp>

#include "ca/issuers.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace certctl::ca {
namespace {

bool is_base64url(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_';
  });
}

/// "a, *.a" for the trace.
std::string task_names(const std::vector<challenge::Task>& tasks) {
  std::string out;
  for (const auto& t : tasks) out += (out.empty() ? "" : ", ") + std::string(t.wildcard ? "*." : "") + t.identifier;
  return out;
}

std::string id_names(const std::vector<acme::Identifier>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "" : ", ") + id.value;
  return out;
}

/// The chain whose certificates name `issuer_cn` as an issuer; the default chain otherwise.
std::size_t pick_chain(const std::vector<std::string>& chains, const std::string& issuer_cn) {
  if (issuer_cn.empty()) return 0;
  for (std::size_t i = 0; i < chains.size(); ++i) {
    auto certs = crypto::parse_certificates(chains[i], "chain");
    if (!certs) continue;
    for (const auto& c : *certs)
      if (c.info().issuer_cn == issuer_cn) return i;
  }
  return 0;
}

/// The renewal window of a new certificate; a failure is kept in the window (the certificate
/// is good either way, and renew asks again later).
AriWindow fetch_window(acme::Client& client, const crypto::Certificate& leaf) {
  AriWindow w;
  auto id = crypto::ari_cert_id(leaf, "certificate");
  if (!id) {
    w.error = id.error().message();
    return w;
  }
  w.cert_id = *id;
  auto info = client.renewal_info(w.cert_id);
  if (!info) {
    w.error = info.error().text();
  } else if (*info) {
    w.start = (*info)->start;
    w.end = (*info)->end;
    w.explanation_url = (*info)->explanation_url;
    w.retry_after_s = (*info)->retry_after_s.value_or(0);
  }
  return w;
}

class AcmeIssuer final : public Issuer {
 public:
  AcmeIssuer(CaProfile profile, std::unique_ptr<http::Client> http, std::unique_ptr<crypto::Signer> key,
             std::string kid, const Clock& clock)
      : profile_(std::move(profile)), http_(std::move(http)), key_(std::move(key)),
        client_(*http_, profile_.directory, clock) {
    client_.set_account(key_.get(), std::move(kid));
  }
  const std::string& name() const override { return profile_.name; }

  Result<Issued> issue(const crypto::CsrInfo& csr, const IssueOptions& opts) override {
    problem_ = {};
    auto r = run_order(csr, opts);
    if (!r && problem_.type.empty())
      if (const auto& p = client_.last_problem()) problem_ = {p->short_type(), p->retry_after_s.value_or(0)};
    return r;
  }

  ProblemInfo last_problem() const override { return problem_; }

  Status revoke(const crypto::Certificate& cert, int reason, const crypto::Signer* cert_key) override {
    return client_.revoke(cert.to_der(), reason, cert_key);
  }

 private:
  Result<Issued> run_order(const crypto::CsrInfo& csr, const IssueOptions& opts) {
    std::vector<acme::Identifier> ids;
    for (const auto& n : csr.dns_names) {
      if (n.rfind("*.", 0) == 0 && !profile_.allow_wildcard)
        return Error(Category::Config, fmt::format("CA '{}'", profile_.name), "does not allow wildcard names here");
      ids.push_back({"dns", n});
    }
    for (const auto& ip : csr.ip_addresses) ids.push_back({"ip", ip});
    if (!key_) return Error(Category::Internal, fmt::format("CA '{}'", profile_.name), "no account to order with");
    const std::string thumb = acme::thumbprint(key_->jwk());
    TRY(client_.load_directory());
    const bool has_ari = !client_.directory().renewal_info.empty();
    // RFC 9773 5: "replaces" only to a CA that offers ARI; alreadyReplaced means another order
    // already replaced that certificate, so this one goes ahead as a plain new order.
    std::string replaces = has_ari ? opts.replaces : "";
    const std::string profile = opts.profile.empty() ? profile_.profile : opts.profile;
    auto ordered = client_.new_order(ids, profile, replaces);
    if (!ordered && !replaces.empty() && !opts.replaced_is_final && client_.last_problem() &&
        client_.last_problem()->short_type() == "alreadyReplaced") {
      replaces.clear();
      ordered = client_.new_order(ids, profile, replaces);
    }
    if (!ordered) return ordered.error();
    acme::Order order = std::move(ordered).value();
    trace::step(fmt::format("CA '{}': order created for {}: {} ({})", profile_.name, id_names(ids),
                            order.url, acme::to_string(order.status)));
    if (order.status == acme::OrderStatus::Invalid)
      return Error(Category::Ca, fmt::format("CA '{}'", profile_.name), "the new order is already invalid");

    // Collect the pending authorizations and their tasks; present them all at once.
    std::vector<challenge::Task> tasks;
    std::vector<std::pair<std::string, acme::ChallengeInfo>> pending;  // authz url, challenge
    for (const auto& url : order.authorizations) {
      TRY_ASSIGN(acme::Authorization a, client_.get_authorization(url));
      if (a.status == acme::AuthzStatus::Valid) continue;
      if (a.status != acme::AuthzStatus::Pending)
        return Error(Category::Ca, a.identifier.value, fmt::format("authorization is {}", acme::to_string(a.status)));
      const std::string_view type = vault::challenge_name(opts.challenge.type);
      auto ch = std::find_if(a.challenges.begin(), a.challenges.end(), [&](const auto& c) { return c.type == type; });
      if (ch == a.challenges.end()) {
        std::vector<std::string> offered;
        for (const auto& c : a.challenges) offered.push_back(c.type);
        (void)deactivate({url});
        return Error(Category::Ca, std::string(a.wildcard ? "*." : "") + a.identifier.value,
                     fmt::format("the CA offers no {} challenge{} (offered: {})", type,
                                 a.wildcard ? " for a wildcard; wildcards need --challenge dns-01" : "",
                                 fmt::join(offered, ", ")));
      }
      if (!is_base64url(ch->token)) return Error(Category::Ca, a.identifier.value, "the CA sent a malformed challenge token");
      challenge::Task t;
      t.type = std::string(type);
      t.identifier = a.identifier.value;
      t.wildcard = a.wildcard;
      t.token = ch->token;
      t.key_authorization = acme::key_authorization(ch->token, thumb);
      t.dns_value = acme::dns01_value(t.key_authorization);
      t.fqdn = "_acme-challenge." + a.identifier.value + ".";
      tasks.push_back(std::move(t));
      pending.emplace_back(url, *ch);
    }
    shared_solver_ = opts.shared_solver;
    if (!tasks.empty()) TRY(solve(tasks, pending, opts.challenge));

    if (opts.dry_run) return Issued{};
    TRY_ASSIGN(order, client_.wait_order(order.url, acme::OrderStatus::Ready));
    trace::step(fmt::format("CA '{}': order {} is {}", profile_.name, order.url, acme::to_string(order.status)));
    if (order.status == acme::OrderStatus::Invalid) return order_failed(order);
    if (order.status == acme::OrderStatus::Ready) {
      TRY_ASSIGN(order, client_.finalize(order, csr.der));
      trace::step(fmt::format("CA '{}': order finalized: {}", profile_.name, acme::to_string(order.status)));
    }
    if (order.status != acme::OrderStatus::Valid || order.certificate.empty()) return order_failed(order);
    TRY_ASSIGN(std::vector<std::string> chains, client_.download(order.certificate, !opts.preferred_chain.empty()));
    trace::step(fmt::format("CA '{}': certificate downloaded from {} ({} chain{})", profile_.name, order.certificate,
                            chains.size(), chains.size() == 1 ? "" : "s"));
    const std::string& pem = chains[pick_chain(chains, opts.preferred_chain)];
    TRY_ASSIGN(std::vector<crypto::Certificate> certs, crypto::parse_certificates(pem, order.certificate));
    Issued out{std::move(certs.front()), {}, std::nullopt, replaces};
    for (std::size_t i = 1; i < certs.size(); ++i) out.chain.push_back(std::move(certs[i]));
    if (has_ari) out.ari = fetch_window(client_, out.leaf);
    return out;
  }

  Status solve(const std::vector<challenge::Task>& tasks,
               const std::vector<std::pair<std::string, acme::ChallengeInfo>>& pending,
               const ChallengeSettings& settings) {
    std::vector<std::string> urls;
    for (const auto& [u, _] : pending) urls.push_back(u);
    // A batch shares one solver (one responder on the port); otherwise this order owns one.
    std::unique_ptr<challenge::Solver> own;
    challenge::Solver* solver = shared_solver_;
    if (!solver) {
      auto made = make_solver(settings);
      if (!made) {
        (void)deactivate(urls);
        return made.error();
      }
      own = std::move(made).value();
      solver = own.get();
    }
    Status st = solver->present(tasks);
    if (st) trace::step(fmt::format("{} challenge{} presented for {}", tasks.front().type, tasks.size() == 1 ? "" : "s",
                                    task_names(tasks)));
    if (st) {
      for (const auto& [u, ch] : pending) {
        st = client_.respond(ch);
        if (!st) break;
      }
    }
    std::optional<Error> failure;
    if (!st) failure = st.error();
    for (std::size_t i = 0; i < pending.size() && !failure; ++i) {
      auto a = client_.wait_authorization(pending[i].first);
      if (!a) {
        failure = a.error();
      } else if (a->status != acme::AuthzStatus::Valid) {
        std::string why = fmt::format("validation {} ", acme::to_string(a->status));
        for (const auto& c : a->challenges)
          if (c.error) {
            problem_ = {c.error->short_type(), 0};
            why = c.error->summary();
            if (auto h = c.error->hint(); !h.empty()) why += " (" + h + ")";
          }
        failure = Error(Category::Ca, tasks[i].identifier, why);
      } else {
        trace::step(fmt::format("{} challenge for {}{} validated", tasks[i].type, tasks[i].wildcard ? "*." : "",
                                tasks[i].identifier));
      }
    }
    Status cleaned = own ? own->cleanup() : ok();
    if (failure) {
      (void)deactivate(urls);
      return *failure;
    }
    return cleaned;
  }

  /// Deactivate authorizations that were created but not completed (best effort).
  Status deactivate(const std::vector<std::string>& urls) {
    for (const auto& u : urls) {
      auto a = client_.get_authorization(u);
      if (a && a->status == acme::AuthzStatus::Pending) (void)client_.deactivate_authorization(u);
    }
    return ok();
  }

  Error order_failed(const acme::Order& o) const {
    std::string msg = fmt::format("the order ended {}", acme::to_string(o.status));
    if (o.error) msg += ": " + o.error->summary();
    return Error(Category::Ca, fmt::format("CA '{}'", profile_.name), msg);
  }

  CaProfile profile_;
  std::unique_ptr<http::Client> http_;
  std::unique_ptr<crypto::Signer> key_;  ///< the account's; null for a key-signed revoker
  acme::Client client_;
  ProblemInfo problem_;
  challenge::Solver* shared_solver_ = nullptr;
};

}  // namespace

Result<std::unique_ptr<challenge::Solver>> make_solver(const ChallengeSettings& s) {
  switch (s.type) {
    case vault::ChallengeType::Http01:
      if (!s.http_hook.empty()) return challenge::make_http_hook(s.http_hook, s.dns_timeout_s);
      if (!s.webroot.empty() || !s.webroot_map.empty()) return challenge::make_webroot(s.webroot, s.webroot_map);
      return challenge::make_http_standalone(s.http_address, s.http_port, s.responders);
    case vault::ChallengeType::TlsAlpn01:
      return challenge::make_tls_alpn(s.http_address, s.tls_port, s.responders);
    case vault::ChallengeType::Dns01:
      break;
  }
  if (!s.dns) return challenge::parse_dns_setting("").error();
  if (std::holds_alternative<challenge::ManualDns>(*s.dns)) return challenge::make_dns_manual();
  if (auto* hook = std::get_if<challenge::ExecHook>(&*s.dns)) return challenge::make_dns_exec(hook->command, s.dns_timeout_s, s.dns_options.propagation_wait);
  if (!s.dns_provider) return Error(Category::Internal, "--dns", "the stored provider's config was not loaded");
  TRY_ASSIGN(std::unique_ptr<dns::Provider> provider, dns::make_provider(*s.dns_provider));
  return challenge::make_dns_provider(std::move(provider), s.dns_options);
}

std::unique_ptr<http::Client> acme_http_client(const CaProfile& profile, const http::ClientFactory& http) {
  http::ClientOptions ho;
  ho.ca_bundle = profile.ca_bundle;
  return http(ho);
}

struct RenewalInfoClient::Impl {
  const vault::Vault& vault;
  const Clock& clock;
  http::ClientFactory http;
  struct Session {
    std::unique_ptr<http::Client> http;
    std::unique_ptr<acme::Client> client;
  };
  std::map<std::string, Session, std::less<>> sessions;
};

RenewalInfoClient::RenewalInfoClient(const vault::Vault& vault, const Clock& clock, http::ClientFactory http)
    : impl_(std::make_unique<Impl>(Impl{vault, clock, std::move(http), {}})) {}
RenewalInfoClient::~RenewalInfoClient() = default;

Result<std::optional<AriWindow>> RenewalInfoClient::fetch(std::string_view ca, const std::string& cert_id) {
  auto it = impl_->sessions.find(ca);
  if (it == impl_->sessions.end()) {
    TRY_ASSIGN(CaProfile profile, find_profile(impl_->vault, ca));
    Impl::Session s;
    if (!profile.is_local()) {
      s.http = acme_http_client(profile, impl_->http);
      s.client = std::make_unique<acme::Client>(*s.http, profile.directory, impl_->clock);
    }
    it = impl_->sessions.emplace(std::string(ca), std::move(s)).first;
  }
  if (!it->second.client) return std::optional<AriWindow>();
  TRY_ASSIGN(std::optional<acme::RenewalInfo> info, it->second.client->renewal_info(cert_id));
  if (!info) return std::optional<AriWindow>();
  return std::optional<AriWindow>(AriWindow{cert_id, info->start, info->end, info->explanation_url,
                                            info->retry_after_s.value_or(0), ""});
}

Result<std::unique_ptr<Issuer>> make_key_signed_revoker(const CaProfile& profile, const Clock& clock,
                                                        const http::ClientFactory& http) {
  if (profile.is_local()) return Error(Category::Internal, "local CA", "revokes locally");
  return std::unique_ptr<Issuer>(
      std::make_unique<AcmeIssuer>(profile, acme_http_client(profile, http), nullptr, "", clock));
}

Result<std::unique_ptr<Issuer>> make_acme_issuer(const CaProfile& profile, const vault::Vault& vault,
                                                 const Clock& clock, const http::ClientFactory& http) {
  TRY_ASSIGN(AccountSigner account, account_signer(vault, profile));
  return make_acme_issuer(profile, std::move(account.signer), std::move(account.kid), clock, http);
}

Result<AccountSigner> account_signer(const vault::Vault& vault, const CaProfile& profile) {
  TRY_ASSIGN(std::optional<Account> account, load_account(vault, profile.name));
  if (!account || account->url.empty())
    return Error(Category::State, fmt::format("CA '{}'", profile.name),
                 fmt::format("no ACME account yet: run `certctl account register --ca {} --email ADDRESS --agree-tos`",
                             profile.name));
  if (account->status == acme::AccountStatus::Deactivated)
    return Error(Category::State, fmt::format("CA '{}'", profile.name), "its account is deactivated; register a new one");
  TRY_ASSIGN(crypto::PrivateKey key, load_account_key(vault, profile.name));
  TRY_ASSIGN(std::unique_ptr<crypto::Signer> signer, crypto::make_key_signer(std::move(key)));
  return AccountSigner{account->url, std::move(signer)};
}

std::unique_ptr<Issuer> make_acme_issuer(const CaProfile& profile, std::unique_ptr<crypto::Signer> signer,
                                         std::string kid, const Clock& clock, const http::ClientFactory& http) {
  return std::make_unique<AcmeIssuer>(profile, acme_http_client(profile, http), std::move(signer), std::move(kid),
                                      clock);
}

}  // namespace certctl::ca
