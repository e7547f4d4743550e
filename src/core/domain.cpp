#include <certctl/domain.hpp>

#include <arpa/inet.h>
#include <idn2.h>

#include <algorithm>
#include <cstdlib>

#include <fmt/format.h>

namespace certctl::domain {
namespace {

Error bad(std::string_view input, std::string reason) {
  return Error(Category::Input, fmt::format("domain '{}'", input), std::move(reason));
}

bool is_ldh(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

}  // namespace

bool is_ip(std::string_view s) {
  std::string str(s);
  unsigned char buf[16];
  return inet_pton(AF_INET, str.c_str(), buf) == 1 || inet_pton(AF_INET6, str.c_str(), buf) == 1;
}

static Result<std::string> canonical_ip(std::string_view s) {
  std::string str(s);
  unsigned char buf[16];
  char out[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET, str.c_str(), buf) == 1) {
    inet_ntop(AF_INET, buf, out, sizeof out);
    return std::string(out);
  }
  if (inet_pton(AF_INET6, str.c_str(), buf) == 1) {
    inet_ntop(AF_INET6, buf, out, sizeof out);
    return std::string(out);
  }
  return bad(s, "not an IP address");
}

Result<std::string> normalize_dns(std::string_view input) {
  std::string name(input);
  if (name.empty()) return bad(input, "empty name");
  if (name.back() == '.') name.pop_back();  // accept an absolute name
  if (name.empty()) return bad(input, "empty name");
  if (is_ip(name)) return bad(input, "is an IP address, not a DNS name");

  bool wildcard = false;
  if (name.rfind("*.", 0) == 0) {
    wildcard = true;
    name.erase(0, 2);
  }
  if (name.find('*') != std::string::npos)
    return bad(input, "a wildcard '*' is allowed only as the whole left-most label, as in *.example.com");

  // IDN: convert to A-labels (IDNA 2008 with UTS#46 mapping, lower-cases too).
  bool ascii = std::all_of(name.begin(), name.end(), [](unsigned char c) { return c < 0x80; });
  std::string alabel;
  if (ascii) {
    alabel = name;
    std::transform(alabel.begin(), alabel.end(), alabel.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  } else {
    char* out = nullptr;
    int rc = idn2_to_ascii_8z(name.c_str(), &out, IDN2_NONTRANSITIONAL | IDN2_NFC_INPUT);
    if (rc != IDN2_OK) return bad(input, fmt::format("not a valid internationalised name ({})", idn2_strerror(rc)));
    alabel = out;
    idn2_free(out);
  }

  if (alabel.size() > 253) return bad(input, "longer than 253 characters");
  std::size_t start = 0;
  int labels = 0;
  while (start <= alabel.size()) {
    std::size_t dot = alabel.find('.', start);
    if (dot == std::string::npos) dot = alabel.size();
    std::string_view label(alabel.data() + start, dot - start);
    if (label.empty()) return bad(input, "has an empty label (two dots in a row or a leading dot)");
    if (label.size() > 63) return bad(input, fmt::format("label '{}' is longer than 63 characters", label));
    if (!std::all_of(label.begin(), label.end(), is_ldh))
      return bad(input, fmt::format("label '{}' has a character other than letters, digits and '-'", label));
    if (label.front() == '-' || label.back() == '-')
      return bad(input, fmt::format("label '{}' starts or ends with '-'", label));
    if (label.size() >= 4 && label.substr(2, 2) == "--" && label.substr(0, 2) != "xn")
      return bad(input, fmt::format("label '{}' has '--' in positions 3-4 (reserved)", label));
    if (label.substr(0, 4) == "xn--") {
      char* u = nullptr;
      std::string l(label);
      int rc = idn2_to_unicode_8z8z(l.c_str(), &u, 0);
      if (rc != IDN2_OK) return bad(input, fmt::format("label '{}' is not a valid A-label ({})", label, idn2_strerror(rc)));
      idn2_free(u);
    }
    ++labels;
    start = dot + 1;
  }
  if (labels < 2 && wildcard) return bad(input, "a wildcard needs a parent domain, as in *.example.com");
  const std::string tld = alabel.substr(alabel.find_last_of('.') + 1);
  if (labels >= 2 && std::all_of(tld.begin(), tld.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return bad(input, "the top-level label is all digits");
  return wildcard ? "*." + alabel : alabel;
}

Result<Identifier> parse(std::string_view input) {
  std::string_view s = input;
  if (s.size() > 2 && s.front() == '[' && s.back() == ']') s = s.substr(1, s.size() - 2);
  if (is_ip(s)) {
    TRY_ASSIGN(std::string ip, canonical_ip(s));
    return Identifier{Kind::Ip, std::move(ip)};
  }
  TRY_ASSIGN(std::string dns, normalize_dns(input));
  return Identifier{Kind::Dns, std::move(dns)};
}

std::string to_unicode(std::string_view a_label) {
  std::string in(a_label);
  char* out = nullptr;
  if (idn2_to_unicode_8z8z(in.c_str(), &out, 0) != IDN2_OK || !out) return in;
  std::string res(out);
  idn2_free(out);
  return res;
}

}  // namespace certctl::domain
