#pragma once
/// RFC 8555 client: directory, nonces, JWS-signed requests, accounts, orders, authorizations,
/// challenges, finalize, download (with alternate chains) and revocation. Talks HTTP through
/// http::Client only; nlohmann/json stays inside src/acme.
#include <certctl/acme_status.hpp>
#include <certctl/clock.hpp>
#include <certctl/crypto.hpp>
#include <certctl/http.hpp>
#include <certctl/result.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace certctl::acme {

/// An RFC 8555 problem document (RFC 7807), with subproblems per identifier.
struct Subproblem {
  std::string type, detail, identifier;
};
struct Problem {
  std::string type;  ///< full URN, e.g. urn:ietf:params:acme:error:rateLimited
  std::string detail;
  long status = 0;
  std::vector<Subproblem> subproblems;
  std::optional<long> retry_after_s;  ///< from the Retry-After header, when sent
  /// The part after "urn:ietf:params:acme:error:" ("badNonce", "rateLimited", ...).
  std::string short_type() const;
  /// One line: "<short type>: <detail>[; <identifier>: <detail>...]".
  std::string summary() const;
  /// A suggestion for the common failures (the troubleshooting table), or "".
  std::string hint() const;
};
/// Parse a problem document body (tolerates missing fields); nullopt when not JSON.
std::optional<Problem> parse_problem(std::string_view body);

struct Directory {
  std::string new_nonce, new_account, new_order, revoke_cert, key_change, renewal_info;
  std::string terms_of_service, website;
  bool external_account_required = false;
  std::vector<std::pair<std::string, std::string>> profiles;  ///< name, description
};

struct Identifier {
  std::string type;  ///< "dns" or "ip"
  std::string value;
};

struct ChallengeInfo {
  std::string type, url, token;
  ChallengeStatus status = ChallengeStatus::Pending;
  std::optional<Problem> error;
};

struct Authorization {
  std::string url;
  AuthzStatus status = AuthzStatus::Pending;
  Identifier identifier;
  bool wildcard = false;
  std::vector<ChallengeInfo> challenges;
};

struct Order {
  std::string url;
  OrderStatus status = OrderStatus::Pending;
  std::vector<Identifier> identifiers;
  std::vector<std::string> authorizations;
  std::string finalize, certificate;
  std::optional<Problem> error;
};

/// ACME Renewal Information (RFC 9773): the CA's suggested renewal window for a certificate.
struct RenewalInfo {
  UnixTime start = 0;
  UnixTime end = 0;
  std::string explanation_url;        ///< "" when the CA gave none
  std::optional<long> retry_after_s;  ///< when to ask again, as sent (callers clamp it)
};

struct AccountInfo {
  std::string url;  ///< the kid
  std::optional<AccountStatus> status;  ///< nullopt when the CA sent none
  std::vector<std::string> contact;
};

struct ExternalBinding {
  std::string kid;
  std::string hmac_key;  ///< raw bytes (decoded from the CA's base64url)
};

/// The key authorization of a token (RFC 8555 8.1) and the dns-01 TXT value.
std::string key_authorization(std::string_view token, std::string_view thumbprint);
std::string dns01_value(std::string_view key_authorization);
/// RFC 7638 JWK thumbprint (base64url of SHA-256 of the canonical JWK).
Result<std::string> thumbprint(const crypto::PrivateKey& key);
std::string thumbprint(const crypto::JwkParams& jwk);

/// How the client polls a pending authorization or order (certctl(1), ACME POLLING): the first wait
/// is poll_min_s, each next one twice the last, up to poll_max_s (20 ms, 40 ms, 80 ms, ... 10 s);
/// a Retry-After from the CA is waited instead, exactly (never under poll_min_s). At most
/// max_polls requests per URL and none after deadline_s; a Retry-After past the deadline ends
/// the wait at once.
struct Timing {
  double poll_min_s = 0.02;
  double poll_max_s = 10;
  double deadline_s = 120;
  int bad_nonce_retries = 5;
  int max_polls = 40;
  /// Sleeps between polls; interruptible_sleep when empty (a test records the waits instead).
  std::function<Status(std::chrono::milliseconds)> sleep = {};
};

/// The waits of one poll loop under a Timing (pure: the caller measures time and sleeps).
class PollSchedule {
 public:
  explicit PollSchedule(const Timing& t) : t_(t), next_(t.poll_min_s) {}
  /// After an answer that is not final, `elapsed_s` after the first request: the seconds to
  /// wait before asking again, or nullopt when no request is left (max_polls made, the deadline
  /// passed, or a Retry-After beyond it).
  std::optional<double> after_pending(std::optional<long> retry_after_s, double elapsed_s);
  /// Once after_pending said no: why, to follow "still pending" ("after 120 s", "after 40
  /// polls", "and asks to be polled again in 300 s, past the 120 s deadline").
  std::string why_stopped() const;

 private:
  enum class Stop { Deadline, MaxPolls, RetryAfter };
  const Timing& t_;
  double next_;
  int made_ = 0;
  Stop stop_ = Stop::Deadline;
  long retry_after_ = 0;
};

class Client {
 public:
  Client(http::Client& http, std::string directory_url, const Clock& clock, Timing timing = {});

  /// GET the directory (once; later calls are no-ops).
  Status load_directory();
  const Directory& directory() const { return dir_; }
  const std::string& directory_url() const { return directory_url_; }

  /// The account key signs every request (through `signer`, which must outlive the client);
  /// kid is empty until the account is known.
  void set_account(const crypto::Signer* signer, std::string kid);
  const std::string& kid() const { return kid_; }

  // ---- accounts ----
  /// newAccount. only_existing=true looks the account up by key (onlyReturnExisting).
  Result<AccountInfo> new_account(const std::vector<std::string>& contact, bool agree_tos, bool only_existing,
                                  const std::optional<ExternalBinding>& eab);
  Result<AccountInfo> update_account(const std::vector<std::string>& contact);
  Result<AccountInfo> deactivate_account();
  Status key_change(const crypto::Signer& new_key);

  // ---- orders ----
  Result<Order> new_order(const std::vector<Identifier>& ids, const std::string& profile,
                          const std::string& replaces);
  Result<Order> get_order(const std::string& url);
  Result<Authorization> get_authorization(const std::string& url);
  Status respond(const ChallengeInfo& ch);
  Status deactivate_authorization(const std::string& url);
  /// Poll until the authorization leaves pending (or the deadline passes).
  Result<Authorization> wait_authorization(const std::string& url);
  /// Poll until the order is `until`, valid or invalid (or the deadline passes).
  Result<Order> wait_order(const std::string& url, OrderStatus until);
  Result<Order> finalize(const Order& order, std::string_view csr_der);
  /// Download the certificate chain (PEM) and every alternate chain the CA links to.
  Result<std::vector<std::string>> download(const std::string& cert_url, bool alternates);

  // ---- renewal information (RFC 9773) ----
  /// GET renewalInfo/<cert_id> (unauthenticated). nullopt when the directory has no
  /// renewalInfo; a Ca error naming the URL for a bad answer (window end before start, ...).
  Result<std::optional<RenewalInfo>> renewal_info(const std::string& cert_id);

  // ---- revocation ----
  /// Signed with `signer` when given (the certificate's own key, with a jwk), else the account.
  Status revoke(std::string_view cert_der, int reason, const crypto::Signer* signer);

  /// Low level: a JWS POST (payload nullopt = POST-as-GET). badNonce is retried inside; any
  /// other problem becomes a Category::Ca error whose message is the problem summary.
  Result<http::Response> post(const std::string& url, const std::optional<std::string>& payload_json,
                              const crypto::Signer* signer = nullptr, bool use_jwk = false);
  /// The problem of the last failed request, if it was one.
  const std::optional<Problem>& last_problem() const { return last_problem_; }

 private:
  Result<std::string> nonce();
  Result<std::string> sign(const std::string& url, const std::string& payload, const crypto::Signer& key,
                           bool use_jwk, const std::string& nonce) const;
  Error ca_error(const Problem& p, const std::string& url) const;
  /// POST-as-GET `url` until `settled(body)` says the answer is final, waiting between requests
  /// as PollSchedule says; when it allows no more, `late()`.
  Status poll(const std::string& url, const std::function<Result<bool>(const std::string&)>& settled,
              const std::function<Error(const std::string& why)>& late);

  http::Client& http_;
  std::string directory_url_;
  const Clock& clock_;
  Timing timing_;
  Directory dir_;
  bool have_dir_ = false;
  std::vector<std::string> nonces_;
  const crypto::Signer* key_ = nullptr;
  std::string kid_;
  std::optional<Problem> last_problem_;
};

}  // namespace certctl::acme
