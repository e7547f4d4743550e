#pragma once
/// Result<T>: a value or an Error. Functions declared in include/certctl return Result<T> or
/// Status (= Result<void>); no exception crosses a module boundary.
#include <certctl/error.hpp>

#include <cassert>
#include <optional>
#include <utility>
#include <variant>

namespace certctl {

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { assert(ok()); return std::get<0>(v_); }
  const T& value() const& { assert(ok()); return std::get<0>(v_); }
  T&& value() && { assert(ok()); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const& { assert(!ok()); return std::get<1>(v_); }
  Error&& error() && { assert(!ok()); return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : e_(std::move(error)) {}

  bool ok() const noexcept { return !e_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
  const Error& error() const& { assert(!ok()); return *e_; }
  Error&& error() && { assert(!ok()); return std::move(*e_); }

 private:
  std::optional<Error> e_;
};

using Status = Result<void>;

inline Status ok() { return {}; }

}  // namespace certctl

#define CERTCTL_CAT2(a, b) a##b
#define CERTCTL_CAT(a, b) CERTCTL_CAT2(a, b)

/// Evaluate a Status/Result expression and return its error from the enclosing function.
#define TRY(expr)                                             \
  do {                                                        \
    auto&& certctl_try_r_ = (expr);                           \
    if (!certctl_try_r_) return std::move(certctl_try_r_).error(); \
  } while (0)

/// `TRY_ASSIGN(auto x, f());` declares (or assigns) x from a Result, returning its error.
#define TRY_ASSIGN(lhs, expr) TRY_ASSIGN_IMPL(CERTCTL_CAT(certctl_r_, __LINE__), lhs, expr)
#define TRY_ASSIGN_IMPL(tmp, lhs, expr)            \
  auto tmp = (expr);                               \
  if (!tmp) return std::move(tmp).error();         \
  lhs = std::move(tmp).value()
