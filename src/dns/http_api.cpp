#include "dns/http_api.hpp"
#include "dns/providers.hpp"
#include "dns/wire.hpp"

#include <certctl/crypto.hpp>

#include <openssl/crypto.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <ctime>
#include <thread>

namespace certctl::dns::api {

std::string provider_subject(const ProviderConfig& config) {
  return "dns provider '" + config.name + "' (" + config.type + ")";
}

std::string option(const ProviderConfig& config, std::string_view key, std::string_view fallback) {
  auto it = config.options.find(std::string(key));
  if (it == config.options.end() || it->second.empty()) return std::string(fallback);
  return it->second;
}

Result<std::string> base_url(const ProviderConfig& config, std::string_view key,
                             std::string_view fallback) {
  std::string url = option(config, key, fallback);
  if (url.empty()) {
    return Error(Category::Usage, provider_subject(config), "option " + std::string(key) + " is required");
  }
  if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
    return Error(Category::Usage, provider_subject(config),
                 std::string(key) + " must be an http:// or https:// URL, got '" + url + "'");
  }
  if (url.find_first_of(" \t\r\n?#") != std::string::npos) {
    return Error(Category::Usage, provider_subject(config),
                 std::string(key) + " must be a plain base URL (no spaces, query or fragment), got '" + url + "'");
  }
  while (url.size() > 1 && url.back() == '/') url.pop_back();
  return url;
}

Result<SecretBytes> required_secret(const ProviderConfig& config, std::string_view key) {
  auto it = config.secrets.find(std::string(key));
  if (it == config.secrets.end() || it->second.empty()) {
    return Error(Category::Usage, provider_subject(config),
                 "secret " + std::string(key) + " is required (give it as --" + std::string(key) + "-env VAR)");
  }
  if (it->second.view().find_first_of("\r\n") != std::string_view::npos) {
    return Error(Category::Usage, provider_subject(config), "secret " + std::string(key) + " contains a line break");
  }
  return it->second.clone();
}

std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string without_dot(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  return std::string(name);
}

std::string with_dot(std::string_view name) {
  std::string s(name);
  if (s.empty() || s.back() != '.') s.push_back('.');
  return s;
}

std::string relative_name(std::string_view fqdn, std::string_view zone, std::string_view apex) {
  const std::string name = without_dot(fqdn), z = without_dot(zone);
  if (wire::same_name(name, z)) return std::string(apex);
  return name.substr(0, name.size() - z.size() - 1);
}

std::string form_encode(const std::vector<std::pair<std::string_view, std::string_view>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields) out += (out.empty() ? "" : "&") + url_encode(k) + "=" + url_encode(v);
  return out;
}

std::map<std::string, NameValues> by_name(const std::vector<TxtRecord>& records) {
  std::map<std::string, NameValues> out;
  for (const auto& r : records) {
    NameValues& n = out[with_dot(r.fqdn)];
    if (!r.zone.empty()) n.zone = without_dot(r.zone);
    n.values.push_back(r.value);
  }
  return out;
}

std::string quote_txt(std::string_view value) {
  std::string out = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string unquote_txt(std::string_view content) {
  // Trim surrounding blanks first; a content that does not start with a quote is taken as is.
  while (!content.empty() && content.front() == ' ') content.remove_prefix(1);
  while (!content.empty() && content.back() == ' ') content.remove_suffix(1);
  if (content.empty() || content.front() != '"') return std::string(content);
  std::string out;
  bool in = false;
  for (std::size_t i = 0; i < content.size(); ++i) {
    char c = content[i];
    if (!in) {
      if (c == '"') in = true;
      continue;  // blanks between character-strings
    }
    if (c == '\\' && i + 1 < content.size()) {
      out.push_back(content[++i]);
    } else if (c == '"') {
      in = false;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::optional<Json> parse(std::string_view body) {
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return std::nullopt;
  return j;
}

std::string str(const Json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return {};
  return it->get<std::string>();
}

std::string snippet(std::string_view body) {
  std::string out;
  for (char c : body) {
    if (c == '\r' || c == '\n') {
      if (!out.empty()) break;
      continue;
    }
    out.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
    if (out.size() >= 200) {
      out += "...";
      break;
    }
  }
  return out;
}

http::Request json_request(std::string method, std::string url, http::Header auth, std::string body) {
  http::Request req;
  req.method = std::move(method);
  req.url = std::move(url);
  req.headers.push_back(std::move(auth));
  if (!body.empty()) req.headers.push_back({"Content-Type", "application/json"});
  req.body = std::move(body);
  return req;
}

void real_sleep(std::chrono::milliseconds ms) { std::this_thread::sleep_for(ms); }

Result<http::Response> send(http::Client& client, http::Request req, const Sleep& sleep) {
  auto r = client.send(req);
  for (int retry = 0; retry < kRateLimitRetries && r && r->status == 429; ++retry) {
    const long wait = http::retry_after_seconds(*r, static_cast<long long>(std::time(nullptr))).value_or(kRateLimitDefaultWait);
    if (wait > kRateLimitMaxWait) break;
    sleep(std::chrono::seconds(wait));
    r = client.send(req);
  }
  for (auto& h : req.headers) OPENSSL_cleanse(h.value.data(), h.value.size());
  OPENSSL_cleanse(req.body.data(), req.body.size());
  return r;
}

Error answer_error(const Failed& f, const http::Response& resp, std::string detail) {
  if (detail.empty()) detail = snippet(resp.body);
  auto msg = [&](std::string what) { return detail.empty() ? what : what + ": " + detail; };
  if (resp.status == 401 || resp.status == 403)
    return Error(Category::Dns, std::string(f.api_url),
                 msg(fmt::format("{} rejected the {} (HTTP {})", f.api, f.credential, resp.status)));
  if (resp.status == 404)
    return Error(Category::NotFound, fmt::format("{} {}", f.method, f.url), msg(fmt::format("{} answered 404", f.api)));
  if (resp.status == 429)
    return Error(Category::Dns, std::string(f.api_url),
                 msg(fmt::format("{}'s rate limit (HTTP 429) outlasted certctl's retries", f.api)));
  return Error(Category::Dns, std::string(f.subject),
               msg(fmt::format("{} API error on {} {} (HTTP {})", f.api, f.method, f.url, resp.status)));
}

Result<Json> json_answer(std::string_view api, std::string_view method, std::string_view url,
                         const http::Response& resp) {
  auto doc = parse(resp.body);
  if (!doc || !doc->is_object())
    return Error(Category::Dns, fmt::format("{} {}", method, url),
                 fmt::format("{} answered HTTP {} without a JSON object: {}", api, resp.status, snippet(resp.body)));
  return std::move(*doc);
}

std::unique_ptr<http::Client> client_for(const ProviderConfig& config) {
  http::ClientOptions o;
  o.ca_bundle = option(config, "ca-bundle");
  return http::make_curl_client(o);
}

ProviderType http_provider(std::string_view name, std::string_view summary, std::vector<OptionSpec> options,
                           HttpFactory make) {
  return ProviderType{name, summary, std::move(options),
                      [make](const ProviderConfig& config) { return make(config, client_for(config)); }};
}

ProviderType http_provider(std::string_view name, std::string_view summary, std::vector<OptionSpec> options,
                           SeamedFactory make) {
  return ProviderType{name, summary, std::move(options),
                      [make](const ProviderConfig& config) { return make(config, client_for(config), Seams{}); }};
}

}  // namespace certctl::dns::api

namespace certctl::dns {

Seams with_real(Seams s) {
  if (!s.now) s.now = [] { return static_cast<std::int64_t>(std::time(nullptr)); };
  if (!s.sleep) s.sleep = api::real_sleep;
  if (!s.getenv)
    s.getenv = [](const std::string& name) -> std::optional<std::string> {
      const char* v = std::getenv(name.c_str());
      return v ? std::optional<std::string>(v) : std::nullopt;
    };
  if (!s.nonce) s.nonce = [] { return crypto::hex_encode(crypto::random_bytes(16)); };
  return s;
}

}  // namespace certctl::dns
