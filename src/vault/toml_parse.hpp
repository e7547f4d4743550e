#pragma once
// Parsing a TOML document without letting toml++'s exception out: the one place that turns a
// toml::parse_error into an Error naming the file and line. Include only from .cpp files that
// already use toml++ (ARCHITECTURE.md lists them).
#include <certctl/result.hpp>

#include <string>
#include <string_view>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace certctl::vault {

/// The parsed document, or an Error of `category` for `path`: "<what> (line N): <description>",
/// or "line N: <description>" when `what` is empty.
inline Result<toml::table> parse_toml(std::string_view text, const std::string& path, Category category,
                                      std::string_view what = {}) {
  try {
    return toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    const auto line = e.source().begin.line;
    return Error(category, path,
                 what.empty() ? fmt::format("line {}: {}", line, e.description())
                              : fmt::format("{} (line {}): {}", what, line, e.description()));
  }
}

}  // namespace certctl::vault
