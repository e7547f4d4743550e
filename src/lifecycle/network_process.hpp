#pragma once
// The network process (private to src/lifecycle; issue 10, privilege separation). `issue` and
// `renew` run their orders in a fresh copy of this binary (re-executed, so it inherits no
// memory): it talks to the CAs, DNS servers and DNS provider APIs and parses all they send,
// and holds no private key and no vault key. Every JWS signature it needs, it asks of this
// process, which keeps the account keys behind crypto::Signer; a local-CA certificate too.
#include "lifecycle/obtain.hpp"

#include <certctl/dns.hpp>
#include <certctl/lifecycle.hpp>

namespace certctl::lifecycle::detail {

/// Run `jobs` in a network process and serve its requests until it reports the batch. An
/// Error when it cannot be started or breaks off (every job then fails with it); each job's
/// own failure is in the Batch.
Result<Batch> run_in_network_process(Context ctx, const std::vector<OrderJob>& jobs, int parallel,
                                     const dns::Progress& progress, const JobDone& job_done = {});

}  // namespace certctl::lifecycle::detail
