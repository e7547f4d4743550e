#include "vault/record_cache.hpp"

#include <certctl/record_fields.hpp>

#include <cstdint>

namespace certctl::vault {
namespace {

constexpr std::string_view kMagic = "CCRC";
constexpr std::uint64_t kVersion = 10;  // bump when the encoding changes; fields come from record_fields()

/// Appends LEB128 varints (signed numbers zigzag-encoded) and length-prefixed strings.
class Writer {
 public:
  explicit Writer(std::string& buf) : buf_(buf) {}
  void u64(std::uint64_t v) {
    while (v >= 0x80) {
      buf_ += static_cast<char>((v & 0x7f) | 0x80);
      v >>= 7;
    }
    buf_ += static_cast<char>(v);
  }
  void i64(std::int64_t v) { u64((static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63)); }
  void str(std::string_view s) {
    u64(s.size());
    buf_ += s;
  }
  void strs(const std::vector<std::string>& v) {
    u64(v.size());
    for (const auto& s : v) str(s);
  }

 private:
  std::string& buf_;
};

/// Bounds-checked reads; any overrun or overlong varint marks the reader bad and yields zero
/// values.
class Reader {
 public:
  explicit Reader(std::string_view data) : d_(data) {}
  bool good() const { return good_; }
  bool at_end() const { return d_.empty(); }
  std::size_t remaining() const { return d_.size(); }
  std::string_view rest() const { return d_; }
  std::uint64_t u64() {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (d_.empty()) return fail();
      const auto byte = static_cast<unsigned char>(d_.front());
      d_.remove_prefix(1);
      v |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return v;
    }
    return fail();
  }
  std::int64_t i64() {
    const std::uint64_t z = u64();
    return static_cast<std::int64_t>((z >> 1) ^ (~(z & 1) + 1));
  }
  int i32() {
    const std::int64_t v = i64();
    if (v < INT32_MIN || v > INT32_MAX) return static_cast<int>(fail());
    return static_cast<int>(v);
  }
  std::string_view view() {
    const std::uint64_t n = u64();
    if (!good_ || n > d_.size()) return fail(), std::string_view();
    std::string_view s = d_.substr(0, n);
    d_.remove_prefix(n);
    return s;
  }
  std::string str() { return std::string(view()); }
  std::vector<std::string> strs() {
    const std::uint64_t n = u64();
    std::vector<std::string> v;
    if (n > d_.size()) return fail(), v;  // each string takes at least a byte
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
        [&](NamedEnum auto v) { w.str(enum_name(v)); },
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
          auto parsed = parse_enum(rd.view(), &v);
          ok = ok && parsed;
          if (parsed) v = *parsed;
        },
    });
  return ok && rd.good();
}

}  // namespace

CacheReader::CacheReader(std::string_view data) {
  if (data.substr(0, kMagic.size()) != kMagic) return;
  Reader rd(data.substr(kMagic.size()));
  if (rd.u64() != kVersion || !rd.good()) return;
  rest_ = rd.rest();
}

bool CacheReader::next() {
  if (rest_.empty()) return false;
  const std::string_view start = rest_;
  Reader rd(rest_);
  name_ = rd.view();
  revision_ = rd.u64();
  body_ = rd.view();
  if (!rd.good() || name_.empty()) {
    rest_ = {};
    return false;
  }
  rest_ = rd.rest();
  raw_ = start.substr(0, start.size() - rest_.size());
  return true;
}

bool CacheReader::decode(Record& r) const {
  Reader rd(body_);
  if (!decode_part(rd, record_fields(), r) || r.name != name_) return false;
  const std::uint64_t has_cert = rd.u64();
  if (has_cert == 1 && !decode_part(rd, cert_fields(), r.cert.emplace())) return false;
  const std::uint64_t n = rd.u64();
  if (has_cert > 1 || n > rd.remaining()) return false;
  r.history.resize(n);
  for (auto& h : r.history)
    if (!decode_part(rd, history_fields(), h)) return false;
  return rd.good() && rd.at_end();
}

CacheWriter::CacheWriter() : buf_(kMagic) { Writer(buf_).u64(kVersion); }

void CacheWriter::add(storage::Revision revision, const Record& r) {
  std::string body;
  Writer b(body);
  encode_part(b, record_fields(), r);
  b.u64(r.cert ? 1 : 0);
  if (r.cert) encode_part(b, cert_fields(), *r.cert);
  b.u64(r.history.size());
  for (const auto& h : r.history) encode_part(b, history_fields(), h);
  Writer w(buf_);
  w.str(r.name);
  w.u64(revision);
  w.str(body);
}

}  // namespace certctl::vault
