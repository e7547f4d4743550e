#pragma once
// The part of issuing that talks to CAs and DNS (private to src/lifecycle): run the orders of
// prepared jobs. It needs no vault and no private key: each job arrives with its CSR and, per
// CA, the options prepare made (a DNS provider's secrets opened), and each CA's issuer comes
// from an IssuerSource. So the same code runs in this process (unit tests) and in the network
// process (src/lifecycle/network_process.cpp), where the issuers sign through the parent.
#include <certctl/ca.hpp>
#include <certctl/crypto.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace certctl::lifecycle::detail {

// What became of one job; commit switches on it (std::visit checks every case is handled).
/// Prepared, not ordered yet.
struct Ready {};
/// Stopped by something that is not the CA's doing (a setting, the vault): reported as is,
/// the record untouched.
struct Stopped {
  Error error;
};
/// A tech-zone CNAME is missing: the record waits in status pending with the instruction.
struct Waiting {
  std::string instruction;
};
/// Every CA failed: the record goes to status error.
struct Failed {
  std::vector<std::string> failures;  ///< one per CA tried, in order
  /// The category the failures share (exit 6 when every CA was unreachable), Ca when mixed.
  Category category = Category::Ca;
  ca::ProblemInfo problem;  ///< what the last CA to refuse said
  void add(const Error& e);
};
/// A certificate; in a dry run, a validation (`cert` empty unless staging issued one).
struct Issued {
  ca::Issued cert;
  std::string by;  ///< the CA that issued or validated it
};
using Outcome = std::variant<Ready, Stopped, Waiting, Failed, Issued>;

/// One CA to try for a job, as prepare worked it out.
struct Attempt {
  std::string ca;  ///< the CA to order from (for a dry run, maybe its staging profile)
  /// Its options could not be made (a stored DNS provider is gone, ...): the job stops here.
  std::optional<Error> stop;
  ca::IssueOptions options;
};

/// What the orders of one record need.
struct OrderJob {
  std::string name;
  std::vector<std::string> names;  ///< every name the certificate must carry
  crypto::CsrInfo csr;
  std::vector<Attempt> attempts;  ///< the record's CA, then its fallbacks
};

/// One attempt, for orders.log (written at commit).
struct AttemptLog {
  std::string ca;
  std::string error;  ///< "" when the CA issued (or validated)
  double duration_s = 0;
  std::string replaces;
};

struct OrderResult {
  Outcome outcome;
  std::vector<AttemptLog> log;
};

struct Batch {
  std::vector<OrderResult> results;  ///< one per job, in order
  /// Shared solvers that failed to clean up, as warnings per record name.
  std::map<std::string, std::vector<Error>> warnings;
};

/// Called from the workers (one call at a time) as job `index` ends.
using JobDone = std::function<void(std::size_t index)>;

/// The issuer of a CA by name (called once per CA per worker, from the workers).
using IssuerSource = std::function<Result<std::unique_ptr<ca::Issuer>>(const std::string& ca)>;

/// Run every job's orders, `parallel` workers at a time, each keeping one issuer per CA for its
/// jobs; when there are several jobs they share one solver per challenge set-up. Nothing
/// throws: an exception in a worker fails that job only.
Batch run_orders(const std::vector<OrderJob>& jobs, const IssuerSource& issuers, int parallel,
                 const JobDone& done = {});

/// Failures that mean "this CA could not issue now" (try the next CA, mark the record error),
/// as opposed to mistakes in the command or the vault.
bool is_ca_failure(const Error& e);

}  // namespace certctl::lifecycle::detail
