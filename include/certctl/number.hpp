#pragma once
/// Checked whole numbers from text (option values, named configs): digits only, within a
/// range, and an error that names the field: `<subject>: <field>: not a number: 'abc'`.
#include <certctl/result.hpp>

#include <string>
#include <string_view>

namespace certctl {

/// Where a number comes from, for its error: the category (Usage for the command line, Config
/// for a stored file), the thing at fault ("notifier 'ops'"; "" for a command-line flag) and
/// the field ("expiring_days", "--mode").
struct NumberField {
  Category category = Category::Usage;
  std::string subject;
  std::string field;
};

/// Base 10, or 8 for file modes (a leading 0 allowed). Fails on "", signs, other characters
/// and values outside [min, max].
Result<long> parse_number(std::string_view text, long min, long max, const NumberField& where, int base = 10);

}  // namespace certctl
