// The trace sink and the one redaction table (see include/certctl/trace.hpp).
#include <certctl/trace.hpp>

#include <certctl/error.hpp>
#include <certctl/secret.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

namespace certctl::trace {
namespace {

// ---- the redaction table: every secret-bearing name, in one place --------------------------

/// Request and response headers that carry credentials (compared case-insensitively).
constexpr std::string_view kSecretHeaders[] = {
    "authorization", "proxy-authorization", "x-api-key", "x-auth-key", "x-auth-token",
    "x-api-user",    "x-auth-user",         "cookie",    "set-cookie", "x-vault-token",
    "x-ovh-signature", "x-ovh-consumer",    "x-amz-security-token",
};
/// JSON members whose string value is a secret (compared case-insensitively). ACME's
/// "signature" covers every JWS, an EAB's inner one included (its payload is decoded first);
/// "password" is acme-dns's; the rest are what other providers and configs call theirs. An
/// ACME challenge "token" is not here: the CA publishes it, and traces need it.
constexpr std::string_view kSecretFields[] = {
    "signature",   "password",    "passphrase",  "secret",      "hmac",       "hmac_key",
    "hmackey",     "api_key",     "apikey",      "api-key",     "api_token",  "api-token",
    "tsig-secret", "tsig_secret", "private_key", "privatekey",  "client_secret",
    "secretapikey", "access_token", "refresh_token", "id_token", "assertion",  "client_assertion",
};
/// Members whose value is base64url JSON in a flattened JWS: shown decoded, then redacted.
constexpr std::string_view kJwsParts[] = {"protected", "payload"};
/// PEM blocks whose label ends so are replaced whole ("PRIVATE KEY", "EC PRIVATE KEY", ...).
constexpr std::string_view kPrivateLabelEnd = "PRIVATE KEY";
/// Secrets shorter than this are not scrubbed by value (they would blank ordinary words).
constexpr std::size_t kMinSecret = 6;
/// How deep JWS payloads are decoded (an EAB inside a newAccount is depth 2).
constexpr int kMaxDepth = 4;

bool iequal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

template <std::size_t N>
bool in_table(const std::string_view (&table)[N], std::string_view name) {
  return std::any_of(std::begin(table), std::end(table), [&](std::string_view t) { return iequal(t, name); });
}

/// base64url (padding optional) to bytes; nullopt when it is not base64url.
std::optional<std::string> base64url_decode(std::string_view s) {
  while (!s.empty() && s.back() == '=') s.remove_suffix(1);
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    int v;
    if (c >= 'A' && c <= 'Z') v = c - 'A';
    else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
    else if (c >= '0' && c <= '9') v = c - '0' + 52;
    else if (c == '-') v = 62;
    else if (c == '_') v = 63;
    else return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xff);
    }
  }
  return out;
}

/// The end of the JSON string starting at the quote at `i` (the index of its closing quote),
/// or npos.
std::size_t string_end(std::string_view t, std::size_t i) {
  for (std::size_t j = i + 1; j < t.size(); ++j) {
    if (t[j] == '\\') ++j;
    else if (t[j] == '"') return j;
  }
  return std::string_view::npos;
}

std::size_t skip_space(std::string_view t, std::size_t i) {
  while (i < t.size() && std::isspace(static_cast<unsigned char>(t[i]))) ++i;
  return i;
}

std::string redact_json(std::string_view t, int depth);

/// The value of a JWS part, decoded and redacted when it is base64url JSON, else nullopt.
std::optional<std::string> decoded_part(std::string_view value, int depth) {
  if (depth >= kMaxDepth || value.empty()) return std::nullopt;
  auto plain = base64url_decode(value);
  if (!plain) return std::nullopt;
  std::string_view p = *plain;
  p.remove_prefix(std::min(p.size(), skip_space(p, 0)));
  if (p.empty() || p.front() != '{') return std::nullopt;
  return redact_json(*plain, depth + 1);
}

/// JSON members of the table get <redacted>, JWS parts are decoded (at any nesting); the
/// text need not be valid JSON (a body cut short, a log line quoting a member).
std::string redact_json(std::string_view t, int depth) {
  std::string out;
  out.reserve(t.size());
  std::size_t i = 0;
  while (i < t.size()) {
    const std::size_t q = t.find('"', i);
    if (q == std::string_view::npos) break;
    const std::size_t q_end = string_end(t, q);
    if (q_end == std::string_view::npos) break;
    out.append(t.substr(i, q_end + 1 - i));
    i = q_end + 1;
    const std::string_view name = t.substr(q + 1, q_end - q - 1);
    std::size_t colon = skip_space(t, i);
    if (colon >= t.size() || t[colon] != ':') continue;
    const std::size_t v = skip_space(t, colon + 1);
    if (v >= t.size() || t[v] != '"') continue;
    const std::size_t v_end = string_end(t, v);
    if (v_end == std::string_view::npos) break;
    const std::string_view value = t.substr(v + 1, v_end - v - 1);
    out.append(t.substr(i, v - i));
    if (in_table(kSecretFields, name)) {
      out += '"';
      out += kRedacted;
      out += '"';
    } else if (auto part = in_table(kJwsParts, name) ? decoded_part(value, depth) : std::nullopt) {
      out += *part;  // a JSON object in place of the string: still JSON
    } else {
      out.append(t.substr(v, v_end + 1 - v));
    }
    i = v_end + 1;
  }
  out.append(t.substr(std::min(i, t.size())));
  return out;
}

/// Form fields and URL query parameters of the table ("client_secret=...", "&Signature=...")
/// lose their values: OAuth token requests are form-encoded, and some APIs sign in the query.
/// A name counts where it starts the text or follows '?', '&' or white space.
std::string redact_form(std::string_view t) {
  constexpr std::string_view kBefore = "?& \t\r\n";
  std::string out;
  out.reserve(t.size());
  std::size_t i = 0;  // copied up to here
  std::size_t eq = t.find('=');
  while (eq != std::string_view::npos) {
    std::size_t start = eq;
    while (start > 0 && kBefore.find(t[start - 1]) == std::string_view::npos) --start;
    if (start < i || start == eq || !in_table(kSecretFields, t.substr(start, eq - start))) {
      eq = t.find('=', eq + 1);
      continue;
    }
    const std::size_t end = std::min(t.size(), t.find_first_of("& \t\r\n\"'<>#", eq + 1));
    out.append(t.substr(i, eq + 1 - i));
    out += kRedacted;
    i = end;
    eq = t.find('=', end);
  }
  out.append(t.substr(std::min(i, t.size())));
  return out;
}

/// Private-key PEM blocks keep their BEGIN and END lines; the base64 between goes.
std::string redact_pem(std::string_view t) {
  constexpr std::string_view kBegin = "-----BEGIN ", kDashes = "-----";
  std::string out;
  std::size_t i = 0;
  while (true) {
    const std::size_t b = t.find(kBegin, i);
    if (b == std::string_view::npos) break;
    const std::size_t label_at = b + kBegin.size();
    const std::size_t label_end = t.find(kDashes, label_at);
    if (label_end == std::string_view::npos) break;
    const std::string_view label = t.substr(label_at, label_end - label_at);
    const std::size_t body = label_end + kDashes.size();
    if (label.size() < kPrivateLabelEnd.size() || label.substr(label.size() - kPrivateLabelEnd.size()) != kPrivateLabelEnd) {
      out.append(t.substr(i, body - i));
      i = body;
      continue;
    }
    out.append(t.substr(i, body - i));
    out += kRedacted;
    const std::string end_marker = "-----END " + std::string(label) + "-----";
    const std::size_t e = t.find(end_marker, body);
    i = e == std::string_view::npos ? t.size() : e;  // no END: everything after BEGIN goes
  }
  out.append(t.substr(std::min(i, t.size())));
  return out;
}

/// The user:password of URLs ("https://user:pw@host/" -> "https://<redacted>@host/").
std::string redact_userinfo(std::string_view t) {
  constexpr std::string_view kScheme = "://";
  std::string out;
  std::size_t i = 0;
  for (std::size_t s = t.find(kScheme); s != std::string_view::npos; s = t.find(kScheme, i)) {
    const std::size_t from = s + kScheme.size();
    const std::size_t end = t.find_first_of("/?# \t\r\n\"'<>", from);
    const std::string_view authority = t.substr(from, (end == std::string_view::npos ? t.size() : end) - from);
    const std::size_t at = authority.rfind('@');
    out.append(t.substr(i, from - i));
    if (at != std::string_view::npos) out += kRedacted;
    i = at != std::string_view::npos ? from + at : from;
  }
  out.append(t.substr(i));
  return out;
}

/// Each line made safe to print (control characters escaped, see certctl::printable; the
/// newlines between lines kept), and "Name: value" lines whose name is a secret header redacted.
std::string clean_lines(std::string_view t) {
  std::string out;
  std::size_t i = 0;
  while (i <= t.size()) {
    std::size_t nl = t.find('\n', i);
    if (nl == std::string_view::npos) nl = t.size();
    std::string_view line = t.substr(i, nl - i);
    const std::size_t start = line.find_first_not_of(" \t<>");  // "> Authorization: ..." too
    const std::size_t colon = line.find(':');
    if (start != std::string_view::npos && colon != std::string_view::npos && colon > start &&
        secret_header(line.substr(start, colon - start))) {
      out += printable(line.substr(0, colon + 1));
      out += ' ';
      out += kRedacted;
    } else {
      out += printable(line);
    }
    if (nl < t.size()) out += '\n';
    i = nl + 1;
  }
  return out;
}

// ---- the sink ------------------------------------------------------------------------------

std::atomic<int> g_level{static_cast<int>(Level::Off)};
std::mutex g_mu;  // the sink and the secrets
Sink g_sink;
std::vector<SecretBytes> g_secrets;  // locked, wiped pages like every other secret

}  // namespace

bool secret_header(std::string_view name) { return in_table(kSecretHeaders, name); }

std::string header_line(std::string_view name, std::string_view value) {
  return std::string(name) + ": " + std::string(secret_header(name) ? kRedacted : value);
}

std::string redact(std::string_view text) {
  std::string out = clean_lines(redact_form(redact_userinfo(redact_json(redact_pem(text), 0))));
  std::lock_guard lock(g_mu);
  for (const SecretBytes& secret : g_secrets) {
    const std::string_view s = secret.view();
    for (std::size_t at = out.find(s); at != std::string::npos; at = out.find(s, at + kRedacted.size()))
      out.replace(at, s.size(), kRedacted);
  }
  return out;
}

void install(Level level, Sink sink) {
  std::lock_guard lock(g_mu);
  g_sink = std::move(sink);
  g_level = g_sink ? static_cast<int>(level) : static_cast<int>(Level::Off);
}

Level level() noexcept { return static_cast<Level>(g_level.load()); }

bool enabled(Level l) noexcept { return l != Level::Off && g_level.load() >= static_cast<int>(l); }

void add_secret(std::string_view value) {
  if (value.size() < kMinSecret) return;
  std::lock_guard lock(g_mu);
  if (std::none_of(g_secrets.begin(), g_secrets.end(), [&](const SecretBytes& s) { return s.view() == value; }))
    g_secrets.push_back(SecretBytes::from(value));
}

void emit(Level l, std::string_view line) {
  if (!enabled(l)) return;
  const std::string clean = redact(line);
  std::lock_guard lock(g_mu);
  if (g_sink) g_sink(l, clean);
}

void step(std::string_view line) { emit(Level::Steps, line); }
void debug(std::string_view line) { emit(Level::Debug, line); }

}  // namespace certctl::trace
