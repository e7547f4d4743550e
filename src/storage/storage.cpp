// What every backend shares: the key rule and the conveniences over Store::apply.
#include <certctl/storage.hpp>

namespace certctl::storage {

bool valid_key(std::string_view key) {
  if (key.empty() || key.size() > 1024) return false;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = std::min(key.find('/', start), key.size());
    const std::string_view seg = key.substr(start, end - start);
    if (seg.empty() || seg.size() > 255 || seg.front() == '.') return false;
    for (char c : seg) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                      c == '_' || c == '-';
      if (!ok) return false;
    }
    if (end == key.size()) return true;
    start = end + 1;
  }
}

Result<Revision> Store::put(std::string_view key, std::string_view data) {
  Change c;
  c.commit_point = Change::CommitPoint{std::string(key), std::string(data), std::nullopt};
  return apply(c);
}

Result<Revision> Store::put_if(std::string_view key, std::string_view data, Revision expected) {
  Change c;
  c.commit_point = Change::CommitPoint{std::string(key), std::string(data), expected};
  return apply(c);
}

Status Store::remove(std::string_view key) {
  Change c;
  c.remove(std::string(key));
  TRY(apply(c));
  return ok();
}

Status Store::append(std::string_view key, std::string_view line) {
  return update_log(key, [&](LogView&) -> Result<std::optional<LogAppend>> { return std::optional<LogAppend>(LogAppend{std::string(line), std::nullopt}); });
}

}  // namespace certctl::storage
