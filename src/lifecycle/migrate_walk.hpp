#pragma once
// What the migration readers share (src/lifecycle/migrate_*.cpp): a bounded walk of a client's
// account tree, and certbot's DNS credentials files.
#include <certctl/result.hpp>
#include <certctl/secret.hpp>

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace certctl::lifecycle::detail {

/// Every directory under `root` (at most 6 levels and 100,000 entries deep) that holds a file
/// named `marker`, in the order the walk finds them; none when `root` is not a directory.
std::vector<std::filesystem::path> dirs_holding(const std::string& root, std::string_view marker);

/// A certbot DNS plugin's credentials file (ConfigObj `key = value` lines, as certbot reads it;
/// comments, blank lines and sections skipped, one pair of quotes dropped): every key with its
/// value, each value held as secret bytes. At most 256 KiB is read.
Result<std::map<std::string, SecretBytes>> read_certbot_credentials(const std::string& file);

}  // namespace certctl::lifecycle::detail
