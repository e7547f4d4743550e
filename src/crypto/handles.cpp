#include "crypto/handles.hpp"

#include <cctype>
#include <fmt/format.h>

#include <openssl/err.h>

#include <climits>

namespace certctl::crypto {

std::string openssl_error() {
  /// Keep the line short: the first few entries say enough, the rest are usually echoes.
  constexpr int kMaxEntries = 3;
  std::string out;
  int count = 0;
  const char* data = nullptr;
  int flags = 0;
  while (unsigned long e = ERR_get_error_all(nullptr, nullptr, nullptr, &data, &flags)) {
    if (count++ >= kMaxEntries) continue;  // keep draining
    if (!out.empty()) out += "; ";
    const char* reason = ERR_reason_error_string(e);
    if (reason) {
      out += reason;
    } else {
      char buf[256];
      ERR_error_string_n(e, buf, sizeof buf);
      out += buf;
    }
    if (data && (flags & ERR_TXT_STRING) && *data) {
      out += " (";
      out += data;
      out += ")";
    }
  }
  return out;
}

void clear_openssl_errors() noexcept { ERR_clear_error(); }

Error openssl_failure(std::string_view what) {
  return Error(Category::Internal, "openssl", std::string(what), openssl_error());
}

Status check_pem_trailer(std::string_view data, std::string_view subject) {
  const std::size_t end = data.rfind("-----END ");
  if (end == std::string_view::npos) return ok();
  const std::size_t close = data.find("-----", end + 9);
  if (close == std::string_view::npos) return ok();  // a torn block: the parser reports it
  std::size_t junk = 0;
  for (char c : data.substr(close + 5))
    if (!std::isspace(static_cast<unsigned char>(c))) ++junk;
  if (junk > kMaxPemTrailer)
    return input_error(subject,
                       fmt::format("{} bytes of other data after the last PEM block (at most {} are accepted)", junk,
                                   kMaxPemTrailer),
                       false);
  return ok();
}

Error input_error(std::string_view subject, std::string message, bool with_cause) {
  std::string cause;
  if (with_cause) {
    cause = openssl_error();
  } else {
    clear_openssl_errors();
  }
  return Error(Category::Input, std::string(subject), std::move(message), std::move(cause));
}

BioPtr bio_over(std::string_view data) {
  // BIO_new_mem_buf takes an int length; inputs this large are rejected by the callers anyway.
  int len = data.size() > static_cast<std::size_t>(INT_MAX) ? INT_MAX : static_cast<int>(data.size());
  return BioPtr(BIO_new_mem_buf(data.data(), len));
}

BioPtr new_mem_bio() { return BioPtr(BIO_new(BIO_s_mem())); }

std::string bio_contents(BIO* bio) {
  char* p = nullptr;
  long n = BIO_get_mem_data(bio, &p);
  if (n <= 0 || !p) return {};
  return std::string(p, static_cast<std::size_t>(n));
}

SecretBytes bio_secret_contents(BIO* bio) {
  char* p = nullptr;
  long n = BIO_get_mem_data(bio, &p);
  if (n <= 0 || !p) return {};
  return SecretBytes(p, static_cast<std::size_t>(n));
}

}  // namespace certctl::crypto
