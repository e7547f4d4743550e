#pragma once
/// Certificate identifiers: DNS names (IDNs converted to A-labels with libidn2, wildcards only
/// as the whole left-most label) and IP addresses.
#include <certctl/result.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace certctl::domain {

enum class Kind { Dns, Ip };

struct Identifier {
  Kind kind;
  std::string value;  ///< A-label lowercase DNS name, or canonical IP text
  bool wildcard() const { return kind == Kind::Dns && value.rfind("*.", 0) == 0; }
};

/// Validate and normalise one name or IP address. The error names the input and the reason.
Result<Identifier> parse(std::string_view input);
/// Normalise a DNS name only (IP addresses rejected).
Result<std::string> normalize_dns(std::string_view input);
/// True if s is a literal IPv4 or IPv6 address.
bool is_ip(std::string_view s);
/// Convert an A-label name back to Unicode for display (falls back to the input).
std::string to_unicode(std::string_view a_label);

}  // namespace certctl::domain
