// The network process and the key-holding side that serves it (see network_process.hpp).
//
//   parent (vault unlocked)                      network process (certctl --network-process)
//   plan: jobs, CSRs, CA profiles, account  -->  run_orders: ACME, DNS, providers, responders
//         JWKs (public), DNS provider options
//   signature of the JWS input              <--  sign(ca, input)
//   a local-CA certificate                  <--  issue_local(ca, csr)
//   (printed on the TTY)                    <--  progress(text)
//   commit                                  <--  done(batch)
#include "lifecycle/network_process.hpp"

#include <certctl/interrupt.hpp>
#include <certctl/overloaded.hpp>
#include <certctl/process.hpp>
#include <certctl/trace.hpp>
#include <certctl/unique_fd.hpp>

#include "lifecycle/network_wire.hpp"

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace certctl::lifecycle {
namespace detail {
namespace {

constexpr std::string_view kSubject = "network process";
/// The largest JWS signing input the parent signs (a finalize with a big CSR is a few KiB).
constexpr std::size_t kMaxSignInput = 256u << 10;

// ---- the key-holding side ------------------------------------------------------------------

/// What the parent holds for one network process: the account signers of the ACME CAs in the
/// plan, and the local CAs it may issue from (made on first use).
struct Keys {
  std::map<std::string, std::unique_ptr<crypto::Signer>> signers;
  std::set<std::string> local_cas;
  std::map<std::string, std::unique_ptr<ca::Issuer>> local_issuers;
};

/// What the network process needs to know of CA `name` (a signer for it goes to `keys`).
wire::CaSpec ca_spec(Context ctx, const std::string& name, Keys& keys) {
  wire::CaSpec spec;
  spec.profile.name = name;
  auto profile = ca::find_profile(ctx.vault, name);
  if (!profile) {
    spec.unavailable = profile.error();
    return spec;
  }
  spec.profile = *profile;
  if (profile->is_local()) {
    keys.local_cas.insert(name);
    return spec;
  }
  auto account = ca::account_signer(ctx.vault, *profile);
  if (!account) {
    spec.unavailable = account.error();
    return spec;
  }
  spec.kid = account->kid;
  spec.jwk = account->signer->jwk();
  keys.signers[name] = std::move(account->signer);
  return spec;
}

wire::Reply sign(const Keys& keys, const wire::SignRequest& r) {
  auto it = keys.signers.find(r.ca);
  if (it == keys.signers.end())
    return {Error(Category::Internal, std::string(kSubject), fmt::format("asked to sign for CA '{}', which is not in its plan", r.ca)), {}, {}};
  if (r.input.size() > kMaxSignInput)
    return {Error(Category::Internal, std::string(kSubject), "asked to sign an oversized request"), {}, {}};
  auto sig = it->second->sign(r.input);
  if (!sig) return {sig.error(), {}, {}};
  return {std::nullopt, std::move(sig).value(), {}};
}

wire::Reply issue_local(Context ctx, Keys& keys, const wire::LocalIssueRequest& r) {
  if (!keys.local_cas.count(r.ca))
    return {Error(Category::Internal, std::string(kSubject), fmt::format("asked for a certificate of CA '{}', which is not a local CA of its plan", r.ca)), {}, {}};
  auto csr = crypto::parse_csr(r.csr_pem, "network process: CSR");
  if (!csr) return {csr.error(), {}, {}};
  auto& issuer = keys.local_issuers[r.ca];
  if (!issuer) {
    auto made = ca::make_issuer(r.ca, ctx.vault, ctx.clock, ctx.http);
    if (!made) return {made.error(), {}, {}};
    issuer = std::move(made).value();
  }
  auto issued = issuer->issue(*csr, r.options);
  if (!issued) return {issued.error(), {}, {}};
  return {std::nullopt, {}, std::move(issued).value()};
}

/// A message that needs no reply (progress, a trace line, a job ended): handled, true.
bool one_way(const wire::ChildMessage& m, const dns::Progress& progress, const JobDone& job_done) {
  return std::visit(Overloaded{
                        [&](const wire::ProgressNote& note) {
                          if (progress) progress(note.text);
                          return true;
                        },
                        [](const wire::TraceNote& t) {
                          trace::emit(t.level == 2 ? trace::Level::Debug : trace::Level::Steps, t.text);
                          return true;
                        },
                        [&](const wire::JobEnded& e) {
                          if (job_done) job_done(e.index);
                          return true;
                        },
                        [](const auto&) { return false; },
                    },
                    m);
}

/// Answer the network process until it reports its batch.
Result<Batch> serve(Context ctx, int fd, Keys& keys, const dns::Progress& progress, const JobDone& job_done) {
  while (true) {
    TRY_ASSIGN(std::string frame, wire::read_frame(fd));
    Result<wire::ChildMessage> decoded = wire::decode_child_message(frame);
    if (!decoded) return decoded.error();
    wire::ChildMessage& m = *decoded;  // in place: no copy of the variant (and no g++ 12 false alarm)
    if (auto* done = std::get_if<wire::Done>(&m)) return std::move(done->batch);
    if (one_way(m, progress, job_done)) continue;
    wire::Reply reply = std::holds_alternative<wire::SignRequest>(m)
                            ? sign(keys, std::get<wire::SignRequest>(m))
                            : issue_local(ctx, keys, std::get<wire::LocalIssueRequest>(m));
    TRY(wire::send_frame(fd, wire::encode(reply)));
  }
}

/// Why the network process ended without its batch.
Error broke_off(const Error& e, const proc::Outcome& how) {
  const std::string ended = how.signal ? fmt::format("was killed by signal {}", how.signal)
                                       : fmt::format("exited {}", how.exit_code);
  return Error(Category::Internal, std::string(kSubject), fmt::format("{} ({})", e.message(), ended));
}

// ---- the network process -------------------------------------------------------------------

/// The network process's end of the socket: one request and its reply at a time, whichever
/// worker thread asks.
class Link {
 public:
  explicit Link(int fd) : fd_(fd) {}
  Result<wire::Reply> call(const wire::ChildMessage& m) {
    std::lock_guard lock(mu_);
    TRY(wire::send_frame(fd_, wire::encode(m)));
    TRY_ASSIGN(std::string text, wire::read_frame(fd_));
    TRY_ASSIGN(wire::Reply reply, wire::decode_reply(text));
    if (reply.error) return *reply.error;
    return reply;
  }
  Status tell(const wire::ChildMessage& m) {
    std::lock_guard lock(mu_);
    return wire::send_frame(fd_, wire::encode(m));
  }

 private:
  int fd_;
  std::mutex mu_;
};

/// An account key that stays with the parent: every signature is asked for over the link.
class RemoteSigner final : public crypto::Signer {
 public:
  RemoteSigner(Link& link, std::string ca, crypto::JwkParams jwk)
      : link_(link), ca_(std::move(ca)), jwk_(std::move(jwk)), alg_(crypto::jws_algorithm(jwk_)) {}
  const std::string& algorithm() const override { return alg_; }
  const crypto::JwkParams& jwk() const override { return jwk_; }
  Result<std::string> sign(std::string_view input) const override {
    TRY_ASSIGN(wire::Reply r, link_.call(wire::SignRequest{ca_, std::string(input)}));
    return std::move(r.signature);
  }

 private:
  Link& link_;
  std::string ca_;
  crypto::JwkParams jwk_;
  std::string alg_;
};

/// The local CA, whose key stays with the parent: it issues there.
class RemoteLocalIssuer final : public ca::Issuer {
 public:
  bool uses_solver() const override { return false; }
  RemoteLocalIssuer(Link& link, std::string ca) : link_(link), ca_(std::move(ca)) {}
  const std::string& name() const override { return ca_; }
  Result<ca::Issued> issue(const crypto::CsrInfo& csr, const ca::IssueOptions& opts) override {
    ca::IssueOptions local;  // what the local CA uses; no challenge settings (or secrets) go back
    local.days = opts.days;
    local.dry_run = opts.dry_run;
    TRY_ASSIGN(wire::Reply r, link_.call(wire::LocalIssueRequest{ca_, csr.pem, std::move(local)}));
    if (!r.issued) return ca::Issued{};  // a dry run checks and returns nothing
    return std::move(*r.issued);
  }
  Status revoke(const crypto::Certificate&, int, const crypto::Signer*) override {
    return Error(Category::Internal, ca_, "revocation does not go through the network process");
  }

 private:
  Link& link_;
  std::string ca_;
};

/// The issuers of the network process: ACME through the curl client, signing over the link.
IssuerSource remote_issuers(const wire::Plan& plan, Link& link, const Clock& clock) {
  return [&plan, &link, &clock](const std::string& name) -> Result<std::unique_ptr<ca::Issuer>> {
    auto it = plan.cas.find(name);
    if (it == plan.cas.end()) return Error(Category::Internal, name, "CA not in the network process's plan");
    const wire::CaSpec& spec = it->second;
    if (spec.unavailable) return *spec.unavailable;
    if (spec.profile.is_local()) return std::unique_ptr<ca::Issuer>(std::make_unique<RemoteLocalIssuer>(link, name));
    return ca::make_acme_issuer(spec.profile, std::make_unique<RemoteSigner>(link, name, spec.jwk), spec.kid, clock,
                                http::make_curl_client);
  };
}

}  // namespace

Result<Batch> run_in_network_process(Context ctx, const std::vector<OrderJob>& jobs, int parallel,
                                     const dns::Progress& progress, const JobDone& job_done) {
  wire::Plan plan;
  plan.jobs = jobs;
  plan.parallel = parallel;
  plan.progress = static_cast<bool>(progress);
  plan.job_progress = static_cast<bool>(job_done);
  plan.trace = static_cast<int>(trace::level());
  Keys keys;
  std::shared_ptr<challenge::Responders> responders;  // the run's responder child, if any
  for (const OrderJob& job : jobs)
    for (const Attempt& at : job.attempts) {
      if (!plan.cas.count(at.ca)) plan.cas.emplace(at.ca, ca_spec(ctx, at.ca, keys));
      if (at.options.challenge.responders) responders = at.options.challenge.responders;
    }
  if (responders) plan.responders = responders->endpoints();

  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    return Error(Category::Internal, std::string(kSubject), "cannot create a socket pair", std::strerror(errno));
  UniqueFd mine(sv[0]), theirs(sv[1]);
  std::vector<int> fds{theirs.get()};  // 3: this socket; 4 (kResponderFd): the responder's link
  if (responders) fds.push_back(responders->link().native_handle());
  TRY_ASSIGN(int pid, proc::spawn_self({"--network-process"}, fds));
  theirs.close();
  std::string text = wire::encode(plan);
  Status sent = wire::send_frame(mine.get(), text);
  OPENSSL_cleanse(text.data(), text.size());  // it holds the DNS providers' secrets
  Result<Batch> batch = sent ? serve(ctx, mine.get(), keys, progress, job_done) : Result<Batch>(sent.error());
  mine.close();  // a network process still running sees the end and exits
  const proc::Outcome how = proc::wait_self(pid);
  if (!batch) return broke_off(batch.error(), how);
  if (batch->results.size() != jobs.size())
    return Error(Category::Internal, std::string(kSubject), "reported a batch of the wrong size");
  return batch;
}

}  // namespace detail

int network_process_main(int fd) {
  using namespace detail;
  // Gone with the parent; never a process of its own.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() == 1) return exit_code(Category::Internal);
  auto text = wire::read_frame(fd);
  if (!text) return exit_code(Category::Internal);
  auto plan = wire::decode_plan(*text);
  OPENSSL_cleanse(text->data(), text->size());
  auto clock = SystemClock::from_environment();
  if (!plan || !clock) return exit_code(Category::Internal);
  Link link(fd);
  // Its trace goes to the parent's sink (stderr or the log file), line by line.
  if (plan->trace > 0)
    trace::install(static_cast<trace::Level>(plan->trace), [&link](trace::Level l, std::string_view line) {
      (void)link.tell(wire::TraceNote{static_cast<int>(l), std::string(line)});
    });
  // The responder child the parent started: its solvers present through it.
  std::shared_ptr<challenge::Responders> responders;
  if (plan->responders) responders = challenge::Responders::adopt(UniqueFd(wire::kResponderFd), *plan->responders);
  for (OrderJob& job : plan->jobs)
    for (Attempt& at : job.attempts) {
      at.options.challenge.responders = responders;
      if (plan->progress)
        at.options.challenge.dns_options.progress = [&link](std::string_view line) {
          (void)link.tell(wire::ProgressNote{std::string(line)});
        };
    }
  JobDone job_done;
  if (plan->job_progress) job_done = [&link](std::size_t i) { (void)link.tell(wire::JobEnded{i}); };
  Batch batch = run_orders(plan->jobs, remote_issuers(*plan, link, *clock), plan->parallel, job_done);
  trace::install(trace::Level::Off, {});  // the link is about to report and close
  if (!link.tell(wire::Done{std::move(batch)})) return exit_code(Category::Internal);
  return 0;
}

}  // namespace certctl::lifecycle
