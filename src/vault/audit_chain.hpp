#pragma once
// The audit log's chain (format v1). Every line appended since v1 ends in
//   ,"seq":N,"chain":"k1:<64 hex>"}   (written with the audit key)  or
//   ,"seq":N,"chain":"u1:<64 hex>"}   (written without it: the vault was not unlocked)
// The line's content is the line with the ,"chain":... member removed (so it ends in "seq":N}).
// Its chain value is, over the previous chained line's value (hex) and the content:
//   k1: HMAC-SHA256(audit key, prev || content), audit key = HKDF(vault key, info kAuditInfo)
//   u1: SHA-256("certctl-audit-v1 unkeyed" || prev || content)
// The first chained line's `prev` is SHA-256("certctl-audit-v1 genesis" || every line before
// it), so lines written before v1 cannot change unnoticed once the chain has begun. A k1 line
// thus vouches for every line before it; u1 lines after the last k1 line vouch for nothing.
// <vault>/audit.head holds the seq and chain value of the last k1 line under a MAC, so lines
// cut from the end are noticed (man/certctl.1, SECURITY).
#include <certctl/result.hpp>
#include <certctl/secret.hpp>
#include <certctl/vault.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace certctl::vault::audit {

inline constexpr std::string_view kAuditInfo = "certctl-audit-v1";

/// Where the chain stands after a line: its seq and chain value (hex). seq 0: not begun.
struct ChainState {
  std::uint64_t seq = 0;
  std::string chain;
};

/// A chained line taken apart.
struct ChainedLine {
  std::string content;  ///< the JSON object without its "chain" member
  bool keyed = false;
  std::string chain;    ///< 64 hex digits
};
/// nullopt for a line that does not end in a v1 chain member (written before v1, or not ours).
std::optional<ChainedLine> split_line(std::string_view line);
/// `content` (a JSON object) with the chain member added before its closing brace.
std::string join_line(std::string_view content, bool keyed, std::string_view chain);

/// The chain value of a line after `prev`; `key` null for a line written without the key.
Result<std::string> chain_value(const SecretBytes* key, std::string_view prev, std::string_view content);
/// The `prev` of the first chained line, over every byte of the log before it.
std::string genesis(std::string_view unchained_prefix);

/// The audit key: HKDF-SHA256 of the vault key with info kAuditInfo.
Result<SecretBytes> derive_key(const SecretBytes& vault_key);

/// audit.head: "v1 <seq> <chain> <mac>\n", mac = HMAC(audit key, "head" || seq || chain).
Result<std::string> render_head(const ChainState& last_keyed, const SecretBytes& key);
/// nullopt when the text is not a head this key wrote.
std::optional<ChainState> parse_head(std::string_view text, const SecretBytes& key);

/// What a line's content says of itself (parsed in journal.cpp, the JSON side).
struct LineFields {
  std::optional<std::uint64_t> seq;
  std::string time, action;
};
LineFields line_fields(std::string_view content);

/// The chain state after the last chained line of `log`, as the lines claim it (no key
/// needed; verify checks the claims). Before the chain begins: seq 0 and the genesis value
/// of the whole text (which must end in '\n').
ChainState claimed_state(std::string_view log);

/// Verify a whole log; `head` is audit.head's text (nullopt when the file is missing).
AuditReport verify(std::string_view log, const SecretBytes& key, const std::optional<std::string>& head);

/// The chain state after `last_line`, the log's last line; nullopt when that line is not
/// chained (a log from before v1, or one line longer than a LogView reads), and the whole log
/// must be read (claimed_state).
std::optional<ChainState> state_after(std::string_view last_line);

}  // namespace certctl::vault::audit
