#pragma once
/// The provider types, one function each (defined in src/dns/<name>.cpp), listed by
/// registry.cpp. Private to src/dns.
#include <certctl/dns.hpp>

namespace certctl::dns {

ProviderType rfc2136_type();

}  // namespace certctl::dns
