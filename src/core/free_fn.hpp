#pragma once
/// A stateless deleter that calls the C free function `Free`, for the unique_ptr aliases of
/// src/crypto/handles.hpp (OpenSSL) and src/dns/ldns_handles.hpp (ldns).
namespace certctl {

template <auto Free>
struct FreeFn {
  template <class T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};

}  // namespace certctl
