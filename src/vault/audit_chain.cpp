// The audit log's chain: line format, chain values, audit.head, and the verifier.
#include <certctl/crypto.hpp>

#include "vault/audit_chain.hpp"

#include <algorithm>
#include <charconv>
#include <openssl/crypto.h>

#include <fmt/format.h>

namespace certctl::vault::audit {
namespace {

constexpr std::string_view kTagOpen = ",\"chain\":\"";
constexpr std::size_t kHexLen = 64;
/// ,"chain":"k1:<64 hex>"}
constexpr std::size_t kSuffixLen = kTagOpen.size() + 3 + kHexLen + 2;

bool is_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool same(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::optional<ChainedLine> split_line(std::string_view line) {
  if (line.size() < kSuffixLen + 2) return std::nullopt;
  const std::string_view tail = line.substr(line.size() - kSuffixLen);
  if (tail.substr(0, kTagOpen.size()) != kTagOpen || tail.substr(tail.size() - 2) != "\"}") return std::nullopt;
  const std::string_view kind = tail.substr(kTagOpen.size(), 3);
  const std::string_view hex = tail.substr(kTagOpen.size() + 3, kHexLen);
  if ((kind != "k1:" && kind != "u1:") || !is_hex(hex)) return std::nullopt;
  ChainedLine out;
  out.content = std::string(line.substr(0, line.size() - kSuffixLen)) + "}";
  out.keyed = kind == "k1:";
  out.chain = std::string(hex);
  return out;
}

std::string join_line(std::string_view content, bool keyed, std::string_view chain) {
  std::string out(content.substr(0, content.size() - 1));  // without the closing brace
  out += kTagOpen;
  out += keyed ? "k1:" : "u1:";
  out += chain;
  out += "\"}";
  return out;
}

Result<std::string> chain_value(const SecretBytes* key, std::string_view prev, std::string_view content) {
  std::string input(prev);
  input += content;
  if (!key) return crypto::hex_encode(crypto::sha256("certctl-audit-v1 unkeyed" + input));
  TRY_ASSIGN(std::string mac, crypto::hmac_sha256(key->view(), input));
  return crypto::hex_encode(mac);
}

std::string genesis(std::string_view unchained_prefix) {
  return crypto::hex_encode(crypto::sha256("certctl-audit-v1 genesis" + std::string(unchained_prefix)));
}

Result<SecretBytes> derive_key(const SecretBytes& vault_key) {
  return crypto::hkdf_sha256(vault_key, "", kAuditInfo);
}

Result<std::string> render_head(const ChainState& last_keyed, const SecretBytes& key) {
  const std::string body = fmt::format("v1 {} {}", last_keyed.seq, last_keyed.chain);
  TRY_ASSIGN(std::string mac, crypto::hmac_sha256(key.view(), "certctl-audit-v1 head " + body));
  return fmt::format("{} {}\n", body, crypto::hex_encode(mac));
}

std::optional<ChainState> parse_head(std::string_view text, const SecretBytes& key) {
  if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
  const auto mac_at = text.rfind(' ');
  if (mac_at == std::string_view::npos || text.substr(0, 3) != "v1 ") return std::nullopt;
  const std::string_view body = text.substr(0, mac_at);
  auto mac = crypto::hmac_sha256(key.view(), "certctl-audit-v1 head " + std::string(body));
  if (!mac || !same(crypto::hex_encode(*mac), text.substr(mac_at + 1))) return std::nullopt;
  const std::string_view rest = body.substr(3);
  const auto space = rest.find(' ');
  if (space == std::string_view::npos) return std::nullopt;
  ChainState s;
  auto [p, ec] = std::from_chars(rest.data(), rest.data() + space, s.seq);
  if (ec != std::errc() || p != rest.data() + space) return std::nullopt;
  s.chain = std::string(rest.substr(space + 1));
  return s;
}

namespace {

/// Calls f(line number, line, offset of the line) for each line of `log` (ending in '\n').
template <class F>
void for_each_line(std::string_view log, F&& f) {
  std::size_t pos = 0, number = 0;
  while (pos < log.size()) {
    std::size_t end = log.find('\n', pos);
    if (end == std::string_view::npos) end = log.size();
    f(++number, log.substr(pos, end - pos), pos);
    pos = end + 1;
  }
}

}  // namespace

ChainState claimed_state(std::string_view log) {
  std::optional<ChainState> last;
  for_each_line(log, [&](std::size_t, std::string_view text, std::size_t) {
    auto line = split_line(text);
    if (!line) return;
    if (auto seq = line_fields(line->content).seq) last = ChainState{*seq, line->chain};
  });
  if (last) return *last;
  return ChainState{0, genesis(log)};
}

namespace {

/// The walk of `verify`: the chain value each seq claims, checked as lines come.
class Verifier {
 public:
  Verifier(std::string_view log, const SecretBytes& key) : log_(log), key_(key) {
    const std::size_t lines = static_cast<std::size_t>(std::count(log.begin(), log.end(), '\n'));
    line_of_.resize(lines + 2, 0);  // + a last line without its '\n'
    chains_.resize(line_of_.size() * kHexLen);
  }

  void line(std::size_t number, std::string_view text, std::size_t offset);
  void check_head(const std::optional<std::string>& head);
  AuditReport finish();

 private:
  void problem(std::size_t number, const LineFields& f, std::string what) {
    report_.problems.push_back(AuditProblem{number, f.time, f.action, std::move(what)});
  }
  std::optional<std::string> order_problem(std::uint64_t seq) const;
  void check_chained(std::size_t number, const ChainedLine& c, const LineFields& f);

  std::string_view log_;
  const SecretBytes& key_;
  AuditReport report_;
  std::string genesis_;
  bool begun_ = false;
  std::uint64_t highest_ = 0;
  /// The chain value the line of a seq claims (one flat buffer: a 256 MiB log has a million lines).
  std::string_view chain_of(std::uint64_t seq) const { return std::string_view(chains_).substr(seq * kHexLen, kHexLen); }
  std::string chains_;
  std::vector<std::size_t> line_of_;   ///< by seq: its line number (0: not seen)
  std::size_t pending_ = 0, pending_from_ = 0;  ///< unkeyed lines since the last keyed one
};

void Verifier::line(std::size_t number, std::string_view text, std::size_t offset) {
  ++report_.lines;
  auto c = split_line(text);
  if (!c) {
    if (!begun_) ++report_.unchained;
    else problem(number, line_fields(text), "not chained: inserted, or appended by a certctl without the audit chain");
    return;
  }
  if (!begun_) {
    begun_ = true;
    genesis_ = genesis(log_.substr(0, offset));
  }
  check_chained(number, *c, line_fields(c->content));
}

/// Why a line with this seq is out of place after the lines seen so far ("" when it is not).
std::optional<std::string> Verifier::order_problem(std::uint64_t seq) const {
  if (seq == highest_ + 1) return std::nullopt;
  if (seq > highest_ + 1)
    return fmt::format("{} line(s) missing before it (its seq is {}, the line before has {})", seq - highest_ - 1, seq,
                       highest_);
  if (line_of_[seq] != 0) return fmt::format("a second line with seq {} (the first is line {})", seq, line_of_[seq]);
  return fmt::format("out of order: seq {} after seq {} (moved)", seq, highest_);
}

void Verifier::check_chained(std::size_t number, const ChainedLine& c, const LineFields& f) {
  if (!f.seq || *f.seq == 0 || *f.seq >= line_of_.size()) {
    problem(number, f, "edited: its seq is missing or out of range");
    return;
  }
  const std::uint64_t seq = *f.seq;
  std::optional<std::string> why = order_problem(seq);
  const bool have_prev = seq == 1 || line_of_[seq - 1] != 0;
  const std::string_view prev = seq == 1 ? std::string_view(genesis_) : chain_of(seq - 1);
  auto want = chain_value(c.keyed ? &key_ : nullptr, prev, c.content);
  if (!why && have_prev && (!want || !same(*want, c.chain))) {
    if (!c.keyed) why = "edited: its hash does not match its content";
    else if (pending_ > 0)
      why = fmt::format("its MAC does not match: this line or one of lines {}-{}, written without the vault key, was "
                        "changed, removed or inserted",
                        pending_from_, number - 1);
    else why = "edited: its MAC does not match its content";
  }
  if (line_of_[seq] == 0) {
    line_of_[seq] = number;
    chains_.replace(seq * kHexLen, kHexLen, c.chain);
  }
  highest_ = std::max(highest_, seq);
  if (why) problem(number, f, std::move(*why));
  if (c.keyed) {
    if (!why) ++report_.keyed, report_.sealed += pending_;
    pending_ = 0;
  } else if (!why && pending_++ == 0) {
    pending_from_ = number;
  }
}

void Verifier::check_head(const std::optional<std::string>& head) {
  if (report_.keyed == 0 && !head) return;
  const LineFields none;
  if (!head) return problem(0, none, "audit.head is missing, so lines cut from the end of the log cannot be noticed");
  auto h = parse_head(*head, key_);
  if (!h) return problem(0, none, "audit.head was altered or written with another vault key");
  // seq 0: the head the vault was created with; a later head's write failed (the lines after
  // it are chained all the same).
  if (h->seq == 0) return;
  if (h->seq >= line_of_.size() || line_of_[h->seq] == 0)
    return problem(0, none,
                   fmt::format("lines cut from the end: audit.head records seq {}, the log ends at seq {}", h->seq,
                               highest_));
  if (!same(chain_of(h->seq), h->chain))
    problem(line_of_[h->seq], none, fmt::format("seq {} is not the line audit.head records: replaced", h->seq));
}

AuditReport Verifier::finish() {
  report_.unverifiable = pending_;
  report_.unverifiable_from = pending_ ? pending_from_ : 0;
  return std::move(report_);
}

}  // namespace

AuditReport verify(std::string_view log, const SecretBytes& key, const std::optional<std::string>& head) {
  Verifier v(log, key);
  for_each_line(log, [&v](std::size_t number, std::string_view text, std::size_t offset) { v.line(number, text, offset); });
  v.check_head(head);
  return v.finish();
}

}  // namespace certctl::vault::audit
