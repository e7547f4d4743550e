#pragma once
/// RAII handles for ldns (STYLE.md section 4): one unique_ptr alias per C type, each with a
/// stateless deleter. Private to src/dns; no public header includes ldns.
///
/// Ownership: lists and packets are deep-freed (they own their records); an `ldns_rdf` is
/// deep-freed (it owns its data). Borrow what `ldns_pkt_answer`, `ldns_rr_list_rr`,
/// `ldns_rr_owner`, `ldns_rr_rdf` return; never wrap those.
#include <ldns/ldns.h>

#include <cstdlib>
#include <memory>

#include "core/free_fn.hpp"

namespace certctl::dns {

using LdnsPktPtr = std::unique_ptr<ldns_pkt, FreeFn<ldns_pkt_free>>;
using LdnsRrPtr = std::unique_ptr<ldns_rr, FreeFn<ldns_rr_free>>;
/// A list that owns its records (ldns_rr_list_deep_free).
using LdnsRrListPtr = std::unique_ptr<ldns_rr_list, FreeFn<ldns_rr_list_deep_free>>;
using LdnsRdfPtr = std::unique_ptr<ldns_rdf, FreeFn<ldns_rdf_deep_free>>;
/// A resolver and the name servers, search list and keys it owns (ldns_resolver_deep_free).
using LdnsResolverPtr = std::unique_ptr<ldns_resolver, FreeFn<ldns_resolver_deep_free>>;

/// Memory ldns hands out with malloc (wire buffers, strings from ldns_rdf2str).
inline void ldns_malloc_free(void* p) noexcept { std::free(p); }
using LdnsBytesPtr = std::unique_ptr<uint8_t, FreeFn<ldns_malloc_free>>;
using LdnsCharPtr = std::unique_ptr<char, FreeFn<ldns_malloc_free>>;

}  // namespace certctl::dns
