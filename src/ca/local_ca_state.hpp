#pragma once
// The local CA's state file (ca/local/state.txt): which roots and intermediates it has, which
// are current and when the older ones retire. Private to src/ca.
//
//   certctl-local-ca 1
//   cn certctl local CA
//   root 1 0 legacy              root ID RETIRE_AT [legacy]
//   intermediate 1 0 1           intermediate ID RETIRE_AT PARENT_ROOT_ID
//
// RETIRE_AT 0 = current (one root, at most one intermediate); otherwise the Unix time the
// overlap ends. A `legacy` root keeps the files of a vault made before intermediates
// (root.pem, key.enc); a vault with only those files and no state.txt reads as that one root.
#include <certctl/ca.hpp>

#include <string>
#include <vector>

namespace certctl::ca::local {

struct Entry {
  LocalCaKind kind = LocalCaKind::Root;
  int id = 0;
  UnixTime retire_at = 0;  ///< 0 = current
  int parent = 0;          ///< intermediates: the root that signed it
  bool legacy = false;     ///< roots: root.pem + key.enc
  bool current() const { return retire_at == 0; }
  bool operator==(const Entry&) const = default;
};

struct State {
  std::string cn;  ///< the base of every subject's CN
  std::vector<Entry> entries;
  bool operator==(const State&) const = default;
  const Entry* current(LocalCaKind kind) const;
  int next_id(LocalCaKind kind) const;
};

/// At most this many roots and intermediates (each rotation adds one or two).
inline constexpr std::size_t kMaxEntries = 1000;

Result<State> parse_state(std::string_view text, std::string_view subject);
std::string format_state(const State& s);

/// The store keys of an entry's certificate and sealed key.
std::string cert_key(const Entry& e);
std::string key_key(const Entry& e);
inline constexpr std::string_view kStateFile = "state.txt";

}  // namespace certctl::ca::local
