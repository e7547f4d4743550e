#pragma once
/// record.toml <-> Record. The only place that knows the record file format (toml++ stays here).
#include <certctl/record.hpp>

#include <string>
#include <string_view>

namespace certctl::vault {

std::string render_record(const Record& r);
Result<Record> parse_record(std::string_view text, const std::string& path);

}  // namespace certctl::vault
