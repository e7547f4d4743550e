#pragma once
/// The overload set for std::visit: `std::visit(Overloaded{[](A) {...}, [](B) {...}}, v)`.

namespace certctl {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

}  // namespace certctl
