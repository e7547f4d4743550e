// Checked number parsing (include/certctl/number.hpp).
#include <certctl/number.hpp>

#include <charconv>

#include <fmt/format.h>

namespace certctl {

Result<long> parse_number(std::string_view text, long min, long max, const NumberField& where, int base) {
  auto fail = [&](std::string why) {
    if (where.subject.empty()) return Error(where.category, where.field, std::move(why));
    return Error(where.category, where.subject, fmt::format("{}: {}", where.field, why));
  };
  const std::string_view kind = base == 8 ? "an octal number" : "a number";
  long value = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, value, base);
  if (text.empty() || text.front() == '-' || text.front() == '+' || ec == std::errc::invalid_argument || p != end)
    return fail(fmt::format("not {}: '{}'", kind, text));
  if (ec == std::errc::result_out_of_range || value < min || value > max)
    return fail(base == 8 ? fmt::format("{} is out of range ({:o}..{:o})", text, min, max)
                          : fmt::format("{} is out of range ({}..{})", text, min, max));
  return value;
}

}  // namespace certctl
