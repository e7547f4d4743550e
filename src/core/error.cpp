#include <certctl/error.hpp>

#include <fmt/format.h>

namespace certctl {

int exit_code(Category c) noexcept {
  switch (c) {
    case Category::Aborted: return 1;
    case Category::Usage: return 2;
    case Category::Config: return 3;
    case Category::Input: return 4;
    case Category::Vault: return 5;
    case Category::Network: return 6;
    case Category::Ca: return 7;
    case Category::Dns: return 8;
    case Category::State: return 9;
    case Category::NotFound: return 10;
    case Category::Deploy: return 11;
    case Category::Policy: return 12;
    case Category::Internal: return 70;
  }
  return 70;
}

std::string_view category_name(Category c) noexcept {
  switch (c) {
    case Category::Aborted: return "aborted";
    case Category::Usage: return "usage";
    case Category::Config: return "config";
    case Category::Input: return "input";
    case Category::Vault: return "vault";
    case Category::Network: return "network";
    case Category::Ca: return "ca";
    case Category::Dns: return "dns";
    case Category::State: return "state";
    case Category::NotFound: return "not_found";
    case Category::Deploy: return "deploy";
    case Category::Policy: return "policy";
    case Category::Internal: return "internal";
  }
  return "internal";
}

std::string_view category_summary(Category c) noexcept {
  switch (c) {
    case Category::Aborted: return "aborted";
    case Category::Usage: return "usage";
    case Category::Config: return "config";
    case Category::Input: return "bad input";
    case Category::Vault: return "vault";
    case Category::Network: return "network";
    case Category::Ca: return "CA refused";
    case Category::Dns: return "DNS";
    case Category::State: return "wrong state or exists";
    case Category::NotFound: return "not found";
    case Category::Deploy: return "deploy failed";
    case Category::Policy: return "policy refused";
    case Category::Internal: return "internal";
  }
  return "internal";
}

std::string printable(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (c >= 0x20 && c != 0x7f) out += static_cast<char>(c);
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else out += fmt::format("\\x{:02x}", c);
  }
  return out;
}

std::string Error::text() const {
  std::string out;
  if (!subject_.empty()) out += subject_ + ": ";
  out += message_;
  if (!cause_.empty()) out += ": " + cause_;
  return printable(out);
}

Error Error::with_subject(std::string subject) const {
  return Error(category_, std::move(subject), message_, cause_);
}

}  // namespace certctl
