#include "vault/record_toml.hpp"

#include "vault/toml_parse.hpp"

#include <certctl/record_fields.hpp>

#include <limits>
#include <sstream>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace certctl::vault {
namespace {

constexpr int kRecordFormat = 1;

/// Writes one field into t, leaving defaults out unless the field is kAlways.
template <class T>
void put(toml::table& t, const Field<T>& f, const T& obj) {
  const bool always = f.flags & kAlways;
  const std::string_view key = f.key;
  visit_field(f, obj, Overloaded{
      [&](const std::string& v) { if (always || !v.empty()) t.insert_or_assign(key, v); },
      [&](int v) { if (always || v != 0) t.insert_or_assign(key, v); },
      [&](bool v) { if (always || v) t.insert_or_assign(key, v); },
      [&](UnixTime v) { if (v != 0) t.insert_or_assign(key, format_rfc3339(v)); },
      [&](const std::vector<std::string>& v) {
        if (!always && v.empty()) return;
        toml::array a;
        for (const auto& s : v) a.push_back(s);
        t.insert_or_assign(key, std::move(a));
      },
      [&](NamedEnum auto v) { t.insert_or_assign(key, std::string(enum_name(v))); },
  });
}

/// The table a record field goes to: the top level, or [section] made on first use.
toml::table& section_of(toml::table& top, std::string_view section) {
  if (section.empty()) return top;
  if (toml::table* s = top[section].as_table()) return *s;
  return *top.insert_or_assign(section, toml::table{}).first->second.as_table();
}

/// Reads fields out of TOML tables, remembering the first problem so parsing stays linear.
class Reader {
 public:
  explicit Reader(const std::string& path) : path_(path) {}

  template <class T>
  void get(const toml::table& t, const Field<T>& f, T& obj) {
    const toml::node* n = t.get(f.key);
    if (!n) return;
    visit_field(f, obj, Overloaded{
        [&](std::string& v) { v = typed<std::string>(*n, f.key, "a string"); },
        [&](int& v) { v = integer(*n, f.key); },
        [&](bool& v) { v = typed<bool>(*n, f.key, "true or false"); },
        [&](UnixTime& v) { v = time(*n, f.key); },
        [&](std::vector<std::string>& v) { v = strings(*n, f.key); },
        [&]<NamedEnum E>(E& v) { v = named(parse_enum(typed<std::string>(*n, f.key, "a string"), &v), f.key, v); },
    });
  }

  void fail(std::string msg) {
    if (!error_) error_ = Error(Category::Vault, path_, std::move(msg));
  }
  std::optional<Error> error_;

 private:
  template <class V>
  V typed(const toml::node& n, std::string_view key, std::string_view what) {
    if (auto v = n.value_exact<V>()) return *v;
    fail(fmt::format("field '{}' is not {}", key, what));
    return V{};
  }
  int integer(const toml::node& n, std::string_view key) {
    const auto v = typed<std::int64_t>(n, key, "a number");
    if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) {
      fail(fmt::format("field '{}' is out of range", key));
      return 0;
    }
    return static_cast<int>(v);
  }
  UnixTime time(const toml::node& n, std::string_view key) {
    const std::string s = typed<std::string>(n, key, "an RFC 3339 time");
    if (s.empty()) return 0;
    auto r = parse_rfc3339(s, key);
    if (!r) fail(fmt::format("field '{}' is not an RFC 3339 time", key));
    return r ? *r : 0;
  }
  std::vector<std::string> strings(const toml::node& n, std::string_view key) {
    std::vector<std::string> out;
    const toml::array* a = n.as_array();
    if (!a) fail(fmt::format("field '{}' is not a list", key));
    if (a)
      for (const auto& e : *a) out.push_back(typed<std::string>(e, key, "a list of strings"));
    return out;
  }
  template <class E>
  E named(Result<E> parsed, std::string_view key, E fallback) {
    if (parsed) return *parsed;
    fail(fmt::format("corrupt record: bad {}", key));
    return fallback;
  }
  const std::string& path_;
};

template <class T>
toml::table render_part(std::span<const Field<T>> fields, const T& obj) {
  toml::table t;
  for (const auto& f : fields) put(t, f, obj);
  return t;
}

template <class T>
T parse_part(Reader& rd, std::span<const Field<T>> fields, const toml::table& t) {
  T obj;
  for (const auto& f : fields) rd.get(t, f, obj);
  return obj;
}

}  // namespace

std::string render_record(const Record& r) {
  toml::table t;
  t.insert_or_assign("format", kRecordFormat);
  for (const auto& f : record_fields()) put(section_of(t, f.section), f, r);
  if (r.cert) t.insert_or_assign("cert", render_part(cert_fields(), *r.cert));
  toml::array history;
  for (const auto& h : r.history) history.push_back(render_part(history_fields(), h));
  if (!history.empty()) t.insert_or_assign("history", std::move(history));

  std::ostringstream out;
  out << "# certctl certificate record; edit with `certctl edit`, not by hand.\n";
  out << t << '\n';
  return out.str();
}

Result<Record> parse_record(std::string_view text, const std::string& path) {
  TRY_ASSIGN(const toml::table t, parse_toml(text, path, Category::Vault, "corrupt record"));
  const std::int64_t format = t["format"].value_exact<std::int64_t>().value_or(0);
  if (format != kRecordFormat)
    return Error(Category::Vault, path, fmt::format("unsupported record format {}", format));
  Reader rd(path);
  Record r;
  const toml::table empty;
  for (const auto& f : record_fields()) {
    const toml::table* s = f.section.empty() ? &t : t[f.section].as_table();
    rd.get(s ? *s : empty, f, r);
  }
  if (rd.error_) return std::move(*rd.error_);
  if (r.name.empty() || r.domain.empty()) return Error(Category::Vault, path, "corrupt record: name or domain missing");
  if (const toml::table* c = t["cert"].as_table()) r.cert = parse_part(rd, cert_fields(), *c);
  if (const toml::array* hs = t["history"].as_array())
    for (const auto& node : *hs)
      if (const toml::table* h = node.as_table()) r.history.push_back(parse_part(rd, history_fields(), *h));
  if (rd.error_) return std::move(*rd.error_);
  return r;
}

}  // namespace certctl::vault
