#pragma once
/// Every stored field of a Record, declared once (src/vault/record_fields.cpp). record.toml,
/// the record cache, `show --json` and `show` all walk these tables, so a new field is one line
/// there (plus its member in record.hpp); tests/unit/vault/record_fields_test.cpp fails when a
/// member of the struct is missing from its table.
#include <certctl/overloaded.hpp>
#include <certctl/record.hpp>

#include <span>
#include <type_traits>
#include <string_view>
#include <utility>
#include <variant>

namespace certctl::vault {

/// Enums a record stores by name: enum_name(e) and parse_enum(text, (E*)nullptr). The encoders
/// handle every such enum with one case.
inline std::string_view enum_name(CertStatus s) { return status_name(s); }
inline std::string_view enum_name(Source s) { return source_name(s); }
inline Result<CertStatus> parse_enum(std::string_view s, CertStatus*) { return parse_status(s); }
inline Result<Source> parse_enum(std::string_view s, Source*) { return parse_source(s); }
inline std::string_view enum_name(ChallengeType c) { return challenge_name(c); }
inline Result<ChallengeType> parse_enum(std::string_view s, ChallengeType*) { return parse_challenge(s); }
inline std::string_view enum_name(KeyPolicy p) { return key_policy_name(p); }
inline Result<KeyPolicy> parse_enum(std::string_view s, KeyPolicy*) { return parse_key_policy(s); }

template <class E>
concept NamedEnum = std::is_enum_v<E> && requires(E e, std::string_view s) {
  enum_name(e);
  parse_enum(s, static_cast<E*>(nullptr));
};

/// How one field is reached: a function returning a reference to it inside a T. The
/// alternative says the field's kind, and every encoder handles each kind once.
template <class T>
using FieldRef = std::variant<std::string& (*)(T&), int& (*)(T&), bool& (*)(T&), UnixTime& (*)(T&),
                              std::vector<std::string>& (*)(T&), CertStatus& (*)(T&), Source& (*)(T&),
                              ChallengeType& (*)(T&), KeyPolicy& (*)(T&)>;

enum FieldFlag : unsigned {
  kAlways = 1u,        ///< record.toml writes it even when it holds its default
  kNullWhenZero = 2u,  ///< `show --json` prints a 0 number as null (an unset port)
  kAlert = 4u,         ///< `show` prints it in red on a colour terminal
};

template <class T>
struct Field {
  std::string_view section;  ///< record.toml table ("" = the top level); JSON via json_section()
  std::string_view key;      ///< key in record.toml; the table's order is the cache's order
  std::string_view label;    ///< `show` label ("" = shown by a line of its own, or not at all)
  FieldRef<T> ref;
  unsigned flags = 0;
  std::string_view json_override = {};  ///< key in `show --json` when it is not `key`
  std::string_view shown_default = {};  ///< what JSON and `show` print for an empty value

  std::string_view json() const { return json_override.empty() ? key : json_override; }
};

std::span<const Field<Record>> record_fields();
std::span<const Field<CertMeta>> cert_fields();      ///< record.toml [cert], JSON "certificate"
std::span<const Field<HistoryEntry>> history_fields();  ///< record.toml [[history]], JSON "history"

/// The JSON object a record.toml section goes to ("" = top level).
std::string_view json_section(std::string_view toml_section);

/// Calls fn with a reference to field f of obj.
template <class T, class Fn>
void visit_field(const Field<T>& f, T& obj, Fn&& fn) {
  std::visit([&](auto get) { fn(get(obj)); }, f.ref);
}

/// Calls fn with a const reference to field f of obj (the accessors only locate the member).
template <class T, class Fn>
void visit_field(const Field<T>& f, const T& obj, Fn&& fn) {
  std::visit([&](auto get) { fn(std::as_const(get(const_cast<T&>(obj)))); }, f.ref);
}

using certctl::Overloaded;  // encoders write vault::Overloaded{...} next to visit_field

}  // namespace certctl::vault
