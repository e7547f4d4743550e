// The local CA's state file: parse and format (see local_ca_state.hpp).
#include "ca/local_ca_state.hpp"

#include <certctl/vault.hpp>

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

namespace certctl::ca::local {
namespace {

constexpr std::string_view kMagic = "certctl-local-ca 1";

std::vector<std::string> words(std::string_view line) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < line.size()) {
    const auto start = line.find_first_not_of(' ', pos);
    if (start == std::string_view::npos) break;
    auto end = line.find(' ', start);
    if (end == std::string_view::npos) end = line.size();
    out.emplace_back(line.substr(start, end - start));
    pos = end;
  }
  return out;
}

/// A non-negative decimal of at most 18 digits.
bool number(const std::string& s, long long& out) {
  if (s.empty() || s.size() > 18 || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
  out = std::stoll(s);
  return true;
}

}  // namespace

const Entry* State::current(LocalCaKind kind) const {
  for (const auto& e : entries)
    if (e.kind == kind && e.current()) return &e;
  return nullptr;
}

int State::next_id(LocalCaKind kind) const {
  int id = 0;
  for (const auto& e : entries)
    if (e.kind == kind) id = std::max(id, e.id);
  return id + 1;
}

Result<State> parse_state(std::string_view text, std::string_view subject) {
  State s;
  bool magic = false;
  std::size_t pos = 0;
  int line_no = 0;
  while (pos < text.size()) {
    auto end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;
    auto bad = [&](std::string_view why) {
      return Error(Category::Vault, std::string(subject), fmt::format("line {}: {}", line_no, why));
    };
    if (line.empty()) continue;
    if (!magic) {
      if (line != kMagic) return bad(fmt::format("not a local CA state file (expected '{}')", kMagic));
      magic = true;
      continue;
    }
    if (line.rfind("cn ", 0) == 0) {
      s.cn = std::string(line.substr(3));
      continue;
    }
    const auto w = words(line);
    Entry e;
    long long id = 0, at = 0, parent = 0;
    if (w.size() >= 3 && w[0] == "root" && number(w[1], id) && number(w[2], at) &&
        (w.size() == 3 || (w.size() == 4 && w[3] == "legacy"))) {
      e.kind = LocalCaKind::Root;
      e.legacy = w.size() == 4;
    } else if (w.size() == 4 && w[0] == "intermediate" && number(w[1], id) && number(w[2], at) && number(w[3], parent)) {
      e.kind = LocalCaKind::Intermediate;
    } else {
      return bad("not 'root ID RETIRE_AT [legacy]' or 'intermediate ID RETIRE_AT ROOT_ID'");
    }
    if (id < 1 || id > 1000000 || parent > 1000000) return bad("id out of range");
    e.id = static_cast<int>(id);
    e.retire_at = static_cast<UnixTime>(at);
    e.parent = static_cast<int>(parent);
    if (std::any_of(s.entries.begin(), s.entries.end(), [&](const Entry& o) { return o.kind == e.kind && o.id == e.id; }))
      return bad("listed twice");
    if (s.entries.size() >= kMaxEntries) return bad(fmt::format("more than {} CA certificates", kMaxEntries));
    s.entries.push_back(e);
  }
  auto corrupt = [&](std::string_view why) { return Error(Category::Vault, std::string(subject), std::string(why)); };
  if (!magic) return corrupt("empty local CA state file");
  const auto currents = [&](LocalCaKind k) {
    return std::count_if(s.entries.begin(), s.entries.end(), [&](const Entry& e) { return e.kind == k && e.current(); });
  };
  if (currents(LocalCaKind::Root) != 1) return corrupt("needs exactly one current root");
  if (currents(LocalCaKind::Intermediate) > 1) return corrupt("more than one current intermediate");
  for (const auto& e : s.entries)
    if (e.kind == LocalCaKind::Intermediate &&
        std::none_of(s.entries.begin(), s.entries.end(), [&](const Entry& r) { return r.kind == LocalCaKind::Root && r.id == e.parent; }))
      return corrupt(fmt::format("intermediate {} names root {}, which is not listed", e.id, e.parent));
  return s;
}

std::string format_state(const State& s) {
  std::string out = fmt::format("{}\ncn {}\n", kMagic, s.cn);
  for (const auto& e : s.entries) {
    if (e.kind == LocalCaKind::Root)
      out += fmt::format("root {} {}{}\n", e.id, e.retire_at, e.legacy ? " legacy" : "");
    else
      out += fmt::format("intermediate {} {} {}\n", e.id, e.retire_at, e.parent);
  }
  return out;
}

std::string cert_key(const Entry& e) {
  if (e.legacy) return vault::Layout::ca_file("local", "root.pem");
  return vault::Layout::ca_file("local", fmt::format("{}/{}.pem", e.kind == LocalCaKind::Root ? "roots" : "intermediates", e.id));
}

std::string key_key(const Entry& e) {
  if (e.legacy) return vault::Layout::ca_file("local", "key.enc");
  return vault::Layout::ca_file("local", fmt::format("{}/{}.key.enc", e.kind == LocalCaKind::Root ? "roots" : "intermediates", e.id));
}

}  // namespace certctl::ca::local
