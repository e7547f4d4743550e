/// Mail over SMTP with libcurl: smtp:// (optionally upgraded with STARTTLS) or smtps://, AUTH
/// when a user is given. The message is handed to curl from memory; nothing is logged.
#include <certctl/http.hpp>

#include "http/curl_handles.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace certctl::http {
namespace {

struct Upload {
  std::string_view data;
  std::size_t pos = 0;
};

size_t on_read(char* buf, size_t size, size_t n, void* user) {
  auto* u = static_cast<Upload*>(user);
  const std::size_t len = std::min(size * n, u->data.size() - u->pos);
  std::memcpy(buf, u->data.data() + u->pos, len);
  u->pos += len;
  return len;
}

}  // namespace

Status send_mail(const Mail& m) {
  const std::string subject = fmt::format("mail server {}", m.server);
  if (m.server.rfind("smtp://", 0) != 0 && m.server.rfind("smtps://", 0) != 0)
    return Error(Category::Config, m.server, "is not an smtp:// or smtps:// URL");
  if (m.to.empty()) return Error(Category::Config, subject, "no recipients");
  for (const auto& a : m.to)
    if (a.find_first_of("<>\r\n") != std::string::npos || a.find('@') == std::string::npos)
      return Error(Category::Config, a, "is not a mail address");
  if (m.from.find_first_of("<>\r\n") != std::string::npos || m.from.find('@') == std::string::npos)
    return Error(Category::Config, m.from, "is not a mail address");
  if (m.subject.find_first_of("\r\n") != std::string::npos)
    return Error(Category::Internal, "mail", "subject with a line break");

  std::string message = fmt::format("From: <{}>\r\nTo: {}\r\nSubject: {}\r\nMIME-Version: 1.0\r\n"
                                    "Content-Type: text/plain; charset=utf-8\r\n\r\n",
                                    m.from, fmt::format("<{}>", fmt::join(m.to, ">, <")), m.subject);
  // SMTP wants CRLF line ends; curl dot-stuffs lines that start with '.'.
  for (std::size_t i = 0; i < m.body.size(); ++i) {
    if (m.body[i] == '\n' && (i == 0 || m.body[i - 1] != '\r')) message += '\r';
    message += m.body[i];
  }
  if (message.size() < 2 || message.compare(message.size() - 2, 2, "\r\n") != 0) message += "\r\n";

  curl_global_init(CURL_GLOBAL_DEFAULT);
  CurlPtr h(curl_easy_init());
  if (!h) return Error(Category::Internal, subject, "curl_easy_init failed");
  CurlSlistPtr rcpt;
  for (const auto& a : m.to)
    if (!slist_append(rcpt, fmt::format("<{}>", a).c_str())) return Error(Category::Internal, subject, "out of memory");
  Upload up{message};
  const std::string from = fmt::format("<{}>", m.from);
  curl_easy_setopt(h.get(), CURLOPT_URL, m.server.c_str());
  curl_easy_setopt(h.get(), CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(h.get(), CURLOPT_MAIL_RCPT, rcpt.get());
  curl_easy_setopt(h.get(), CURLOPT_READFUNCTION, on_read);
  curl_easy_setopt(h.get(), CURLOPT_READDATA, &up);
  curl_easy_setopt(h.get(), CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(h.get(), CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(h.get(), CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(h.get(), CURLOPT_NOSIGNAL, 1L);
  if (m.starttls) curl_easy_setopt(h.get(), CURLOPT_USE_SSL, static_cast<long>(CURLUSESSL_ALL));
  if (!m.ca_bundle.empty()) curl_easy_setopt(h.get(), CURLOPT_CAINFO, m.ca_bundle.c_str());
  if (!m.user.empty()) {
    curl_easy_setopt(h.get(), CURLOPT_USERNAME, m.user.c_str());
    curl_easy_setopt(h.get(), CURLOPT_PASSWORD, m.password.c_str());
  }
  char err[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(h.get(), CURLOPT_ERRORBUFFER, err);
  const CURLcode rc = curl_easy_perform(h.get());
  if (!m.user.empty()) curl_easy_setopt(h.get(), CURLOPT_PASSWORD, "");
  if (rc != CURLE_OK) {
    long code = 0;
    curl_easy_getinfo(h.get(), CURLINFO_RESPONSE_CODE, &code);
    const std::string why = err[0] ? err : curl_easy_strerror(rc);
    const Category c = code >= 400 || rc == CURLE_LOGIN_DENIED ? Category::Config : Category::Network;
    return Error(c, subject, code ? fmt::format("refused the mail ({}): {}", code, why) : why);
  }
  return ok();
}

}  // namespace certctl::http
