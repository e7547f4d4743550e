#pragma once
// Helpers shared by the libFuzzer targets in tests/fuzz (one target per parser of untrusted
// input). A target never prints on success: libFuzzer's output is the report.
#include <certctl/result.hpp>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <unistd.h>

namespace certctl::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// A property of the code under test does not hold: report it and abort, so libFuzzer keeps
/// the input as a crash.
[[noreturn]] inline void fail(std::string_view what) {
  std::fprintf(stderr, "fuzz property violated: %.*s\n", static_cast<int>(what.size()), what.data());
  std::abort();
}

/// An Error must always render to its one line (subject, message, cause).
inline void touch(const Error& e) {
  if (e.text().empty()) fail("an Error with an empty text");
}

/// Temporary files of the targets go to /dev/shm when there is one (memory, no disk sync);
/// call before the first test::TempDir.
inline void prefer_memory_tmp() {
  if (::access("/dev/shm", W_OK) == 0) ::setenv("TMPDIR", "/dev/shm", 0);
}

/// Replace a file's content (plain write: a fuzz target's scratch file needs no atomicity).
inline void put_file(const std::string& path, std::string_view content) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) fail("cannot write " + path);
  if (!content.empty() && std::fwrite(content.data(), 1, content.size(), f) != content.size()) fail("short write");
  std::fclose(f);
}

}  // namespace certctl::fuzz
