// ACME Renewal Information (RFC 9773) kept in records: the window fetched after issuance, a
// uniform random time inside it, and fresh fetches from `renew` once Retry-After has passed.
#include <certctl/ca.hpp>
#include <certctl/crypto.hpp>

#include "lifecycle/internal.hpp"

#include <algorithm>
#include <cstring>

namespace certctl::lifecycle::detail {
namespace {

constexpr long kMinRecheck = 60;        // RFC 9773 4.3: clamp Retry-After to a sane range,
constexpr long kMaxRecheck = 86400;     // here 1 minute .. 1 day
constexpr long kDefaultRecheck = 21600; // no Retry-After: ask again in 6 hours
constexpr long kErrorRecheck = 3600;    // a failed fetch: ask again in an hour

/// Uniform in [0, n] from the CSPRNG (no modulo bias worth caring about at 64 bits).
UnixTime uniform_upto(UnixTime n) {
  if (n <= 0) return 0;
  std::uint64_t v = 0;
  const std::string bytes = crypto::random_bytes(sizeof v);
  std::memcpy(&v, bytes.data(), sizeof v);
  return static_cast<UnixTime>(v % (static_cast<std::uint64_t>(n) + 1));
}

}  // namespace

void apply_ari(vault::AriState& st, const ca::AriWindow& w, UnixTime now) {
  if (!w.cert_id.empty() && w.cert_id != st.cert_id) {
    st = vault::AriState{};
    st.cert_id = w.cert_id;
  }
  st.checked = now;
  if (!w.error.empty()) {
    st.last_error = w.error;
    st.next_check = now + kErrorRecheck;
    return;
  }
  st.last_error.clear();
  if (w.start != st.window_start || w.end != st.window_end || st.renew_at == 0) {
    // A new window: pick a new time in it (RFC 9773 4.3). A window already past means now.
    st.window_start = w.start;
    st.window_end = w.end;
    st.renew_at = w.end <= now ? now : std::max(now, w.start) + uniform_upto(w.end - std::max(now, w.start));
  }
  st.explanation_url = w.explanation_url;
  const long wait = w.retry_after_s > 0 ? w.retry_after_s : kDefaultRecheck;
  st.next_check = now + std::clamp(wait, kMinRecheck, kMaxRecheck);
}

bool renewal_info_due(const vault::Record& r, UnixTime now) {
  return !r.ari.cert_id.empty() && r.ari.next_check <= now && r.has_cert && r.source == vault::Source::Managed &&
         r.status != vault::CertStatus::Revoked && !r.issued_by.empty();
}

void refresh_renewal_info(Context ctx, std::vector<vault::Record>& records, UnixTime now) {
  std::vector<std::size_t> stale;
  for (std::size_t i = 0; i < records.size(); ++i)
    if (renewal_info_due(records[i], now)) stale.push_back(i);
  if (stale.empty()) return;
  ca::RenewalInfoClient client(ctx.vault, ctx.clock, ctx.http);
  std::vector<std::pair<std::size_t, ca::AriWindow>> fetched;
  for (std::size_t i : stale) {  // network first, without the vault lock
    const auto& r = records[i];
    auto w = client.fetch(r.issued_by, r.ari.cert_id);
    if (w && !*w) continue;  // the CA stopped offering ARI: keep what we have
    fetched.emplace_back(i, w ? **w : ca::AriWindow{r.ari.cert_id, 0, 0, "", 0, w.error().text()});
  }
  if (fetched.empty()) return;
  auto lock = ctx.vault.lock();
  if (!lock) return;  // not fatal: the next run asks again
  for (auto& [i, w] : fetched) {
    auto fresh = load_existing(ctx, records[i].name);
    if (!fresh || fresh->ari.cert_id != w.cert_id) continue;  // renewed or changed meanwhile
    apply_ari(fresh->ari, w, now);
    if (ctx.vault.save(*fresh)) records[i] = std::move(*fresh);
  }
}

}  // namespace certctl::lifecycle::detail
