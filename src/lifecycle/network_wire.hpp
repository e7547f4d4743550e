#pragma once
// What the key-holding process and the network process say to each other (private to
// src/lifecycle; JSON inside, kept out of this header). Every message is one frame: a 4-byte
// big-endian length, then the JSON text. Decoding checks every member and never throws.
#include "lifecycle/obtain.hpp"

#include <certctl/unique_fd.hpp>

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace certctl::lifecycle::detail::wire {

/// The largest frame either side accepts (a batch of results with every chain).
inline constexpr std::size_t kMaxFrame = 64u << 20;

/// A CA the jobs may order from, as the network process needs it: the profile, and for ACME
/// the account's URL and public key (the private key stays with the parent, which signs).
struct CaSpec {
  ca::CaProfile profile;
  std::string kid;
  crypto::JwkParams jwk;
  /// Why no issuer can be made for it (no account yet, deactivated): each order there fails so.
  std::optional<Error> unavailable;
};

/// The whole job of one network process, sent first.
struct Plan {
  std::vector<OrderJob> jobs;
  std::map<std::string, CaSpec> cas;
  int parallel = 1;
  bool progress = false;  ///< send DNS propagation progress lines back
  bool job_progress = false;  ///< send a JobEnded as each job ends
  int trace = 0;              ///< trace::Level to forward as TraceNotes (0 off, 1 steps, 2 debug)
  /// The responder child the parent started (before unlocking) and what it serves; its link
  /// is the network process's descriptor kResponderFd.
  std::optional<std::vector<challenge::Endpoint>> responders;
};
inline constexpr int kResponderFd = 4;

// Messages from the network process; the parent answers the first two with a Reply.
struct SignRequest {
  std::string ca;
  std::string input;  ///< the JWS signing input
};
struct LocalIssueRequest {
  std::string ca;
  std::string csr_pem;
  ca::IssueOptions options;  ///< days and dry_run are what the local CA uses
};
struct ProgressNote {
  std::string text;
};
/// A trace line (already redacted there; the parent's sink redacts again).
struct TraceNote {
  int level = 1;
  std::string text;
};
/// Job `index` of the plan has ended.
struct JobEnded {
  std::size_t index = 0;
};
struct Done {
  Batch batch;
};
using ChildMessage = std::variant<SignRequest, LocalIssueRequest, ProgressNote, TraceNote, JobEnded, Done>;

/// The parent's answer: a signature, a certificate, or why not.
struct Reply {
  std::optional<Error> error;
  std::string signature;
  std::optional<ca::Issued> issued;
};

std::string encode(const Plan& plan);
Result<Plan> decode_plan(std::string_view text);
std::string encode(const ChildMessage& message);
Result<ChildMessage> decode_child_message(std::string_view text);
std::string encode(const Reply& reply);
Result<Reply> decode_reply(std::string_view text);

/// Write one frame (the whole text, retrying short writes and EINTR).
Status send_frame(int fd, std::string_view text);
/// Read one frame of at most `limit` bytes; a Vault-free Internal error naming the network
/// process when the peer closed, broke the framing or sent too much.
Result<std::string> read_frame(int fd, std::size_t limit = kMaxFrame);

}  // namespace certctl::lifecycle::detail::wire
