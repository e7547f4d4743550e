#include "vault/record_cache.hpp"

#include <certctl/fs.hpp>
#include <certctl/record_fields.hpp>

#include <algorithm>
#include <cstring>
#include <sys/stat.h>

namespace certctl::vault {
namespace {

constexpr std::string_view kMagic = "CCRC";
constexpr std::uint32_t kVersion = 8;  // bump when the encoding changes; fields come from record_fields()

class Writer {
 public:
  void u64(std::uint64_t v) { buf_.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void i64(std::int64_t v) { u64(static_cast<std::uint64_t>(v)); }
  void str(const std::string& s) {
    u64(s.size());
    buf_ += s;
  }
  void strs(const std::vector<std::string>& v) {
    u64(v.size());
    for (const auto& s : v) str(s);
  }
  std::string& buf() { return buf_; }

 private:
  std::string buf_;
};

/// Bounds-checked reads; any overrun marks the reader bad and yields zero values.
class Reader {
 public:
  explicit Reader(std::string_view data) : d_(data) {}
  bool good() const { return good_; }
  bool at_end() const { return d_.empty(); }
  std::size_t remaining() const { return d_.size(); }
  std::uint64_t u64() {
    std::uint64_t v = 0;
    if (d_.size() < sizeof v) return fail();
    std::memcpy(&v, d_.data(), sizeof v);
    d_.remove_prefix(sizeof v);
    return v;
  }
  std::int64_t i64() { return static_cast<std::int64_t>(u64()); }
  int i32() { return static_cast<int>(i64()); }
  std::string str() {
    const std::uint64_t n = u64();
    if (!good_ || n > d_.size()) {
      fail();
      return {};
    }
    std::string s(d_.substr(0, n));
    d_.remove_prefix(n);
    return s;
  }
  std::vector<std::string> strs() {
    const std::uint64_t n = u64();
    std::vector<std::string> v;
    if (n > d_.size()) {
      fail();
      return v;
    }
    v.reserve(n);
    for (std::uint64_t i = 0; i < n && good_; ++i) v.push_back(str());
    return v;
  }

 private:
  std::uint64_t fail() {
    good_ = false;
    d_ = {};
    return 0;
  }
  std::string_view d_;
  bool good_ = true;
};

/// Every field in table order; enums by name, so a damaged value fails to parse.
template <class T>
void encode_part(Writer& w, std::span<const Field<T>> fields, const T& obj) {
  for (const auto& f : fields)
    visit_field(f, obj, Overloaded{
        [&](const std::string& v) { w.str(v); },
        [&](int v) { w.i64(v); },
        [&](bool v) { w.u64(v ? 1 : 0); },
        [&](UnixTime v) { w.i64(v); },
        [&](const std::vector<std::string>& v) { w.strs(v); },
        [&](NamedEnum auto v) { w.str(std::string(enum_name(v))); },
    });
}

template <class T>
bool decode_part(Reader& rd, std::span<const Field<T>> fields, T& obj) {
  bool ok = true;
  for (const auto& f : fields)
    visit_field(f, obj, Overloaded{
        [&](std::string& v) { v = rd.str(); },
        [&](int& v) { v = rd.i32(); },
        [&](bool& v) { v = rd.u64() != 0; },
        [&](UnixTime& v) { v = rd.i64(); },
        [&](std::vector<std::string>& v) { v = rd.strs(); },
        [&]<NamedEnum E>(E& v) {
          auto parsed = parse_enum(rd.str(), &v);
          ok = ok && parsed;
          if (parsed) v = *parsed;
        },
    });
  return ok && rd.good();
}

void encode(Writer& w, const Record& r) {
  encode_part(w, record_fields(), r);
  w.u64(r.cert ? 1 : 0);
  if (r.cert) encode_part(w, cert_fields(), *r.cert);
  w.u64(r.history.size());
  for (const auto& h : r.history) encode_part(w, history_fields(), h);
}

bool decode(Reader& rd, Record& r) {
  if (!decode_part(rd, record_fields(), r)) return false;
  if (rd.u64() == 1 && !decode_part(rd, cert_fields(), r.cert.emplace())) return false;
  const std::uint64_t n = rd.u64();
  if (n > rd.remaining()) return false;
  r.history.resize(n);
  for (auto& h : r.history)
    if (!decode_part(rd, history_fields(), h)) return false;
  return rd.good();
}

}  // namespace

std::unordered_map<std::string, CacheEntry> decode_record_cache(std::string_view data) {
  std::unordered_map<std::string, CacheEntry> out;
  if (data.size() < kMagic.size() || data.substr(0, kMagic.size()) != kMagic) return out;
  Reader rd(data.substr(kMagic.size()));
  if (rd.u64() != kVersion) return out;
  const std::uint64_t count = rd.u64();
  // The count is only a hint from the file: never reserve more than its bytes could hold.
  out.reserve(std::min<std::uint64_t>(count, rd.remaining() / 64));
  for (std::uint64_t i = 0; i < count; ++i) {
    CacheEntry e;
    e.revision = rd.u64();
    if (!decode(rd, e.record)) return std::unordered_map<std::string, CacheEntry>{};
    std::string name = e.record.name;
    out.emplace(std::move(name), std::move(e));
  }
  if (!rd.good() || !rd.at_end()) return std::unordered_map<std::string, CacheEntry>{};
  return out;
}

std::string encode_record_cache(const std::vector<CacheEntry*>& entries) {
  Writer w;
  w.buf() = std::string(kMagic);
  w.u64(kVersion);
  w.u64(entries.size());
  for (const CacheEntry* e : entries) {
    w.u64(e->revision);
    encode(w, e->record);
  }
  return std::move(w.buf());
}

}  // namespace certctl::vault
