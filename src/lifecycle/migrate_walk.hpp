#pragma once
// What the migration readers share (src/lifecycle/migrate_*.cpp): a bounded walk of a client's
// account tree.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace certctl::lifecycle::detail {

/// Every directory under `root` (at most 6 levels and 100,000 entries deep) that holds a file
/// named `marker`, in the order the walk finds them; none when `root` is not a directory.
std::vector<std::filesystem::path> dirs_holding(const std::string& root, std::string_view marker);

}  // namespace certctl::lifecycle::detail
