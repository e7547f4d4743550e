#pragma once
// The option tables of the named configs (lifecycle::ConfigOption, include/certctl/lifecycle.hpp)
// drive the struct -> vault::NamedConfig options map and back, numbers checked. Private to
// src/lifecycle.
#include <certctl/lifecycle.hpp>
#include <certctl/number.hpp>
#include <certctl/vault.hpp>

#include <type_traits>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace certctl::lifecycle::detail {

/// "a,b,,c" -> {"a", "b", "c"} (lists kept in named configs).
std::vector<std::string> split_list(const std::string& s);

/// Text and lists are stored when not empty, numbers always, flags when set.
template <class T>
void to_options(const ConfigTable<T>& table, const T& value, std::map<std::string, std::string>& out) {
  for (const auto& o : table) {
    std::visit(
        [&](auto member) {
          const auto& v = value.*member;
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, std::string>) {
            if (!v.empty()) out[std::string(o.key)] = v;
          } else if constexpr (std::is_same_v<V, std::vector<std::string>>) {
            if (!v.empty()) out[std::string(o.key)] = fmt::format("{}", fmt::join(v, ","));
          } else if constexpr (std::is_same_v<V, int>) {
            out[std::string(o.key)] = o.base == 8 ? fmt::format("{:04o}", v) : std::to_string(v);
          } else {
            if (v) out[std::string(o.key)] = "true";
          }
        },
        o.member);
  }
}

/// Fills the members the options name; a missing option keeps the member's default. Config
/// errors under `subject` name the field: "notifier 'ops': expiring_days: not a number: 'x'".
template <class T>
Status from_options(const ConfigTable<T>& table, const std::map<std::string, std::string>& in, T& value,
                    const std::string& subject) {
  for (const auto& o : table) {
    auto it = in.find(std::string(o.key));
    if (it == in.end()) {
      if (o.required) return Error(Category::Config, subject, fmt::format("{}: missing ({})", o.field, o.key));
      continue;
    }
    const std::string& text = it->second;
    Status st = std::visit(
        [&](auto member) -> Status {
          auto& v = value.*member;
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, std::string>) {
            v = text;
          } else if constexpr (std::is_same_v<V, std::vector<std::string>>) {
            v = split_list(text);
          } else if constexpr (std::is_same_v<V, int>) {
            TRY_ASSIGN(long n, parse_number(text, o.min, o.max, NumberField{Category::Config, subject,
                                                                            std::string(o.field)}, o.base));
            v = static_cast<int>(n);
          } else {
            if (text != "true" && text != "false")
              return Error(Category::Config, subject, fmt::format("{}: not true or false: '{}'", o.field, text));
            v = text == "true";
          }
          return ok();
        },
        o.member);
    TRY(st);
  }
  return ok();
}

/// The table's option with this key, or null (keys it does not declare belong to the caller).
template <class T>
const ConfigOption<T>* find_option(const ConfigTable<T>& table, std::string_view key) {
  for (const auto& o : table)
    if (o.key == key) return &o;
  return nullptr;
}

/// Every config of a kind, each turned into its struct by `of` (the first failure stops it).
template <class T>
Result<std::vector<T>> load_all(const vault::Vault& vault, std::string_view kind, Result<T> (*of)(const vault::NamedConfig&)) {
  TRY_ASSIGN(std::vector<vault::NamedConfig> all, vault::load_configs(vault, kind));
  std::vector<T> out;
  for (const auto& c : all) {
    TRY_ASSIGN(T value, of(c));
    out.push_back(std::move(value));
  }
  return out;
}

}  // namespace certctl::lifecycle::detail
