#pragma once
/// File-system helpers. Every write certctl makes goes through write_file_atomic: an unnamed
/// file (O_TMPFILE) in the same directory, or where that is refused a 0600 temp file
/// (exclusive create); write, fsync, link or rename over the target, fsync the directory. A
/// reader therefore sees either the old or the new file, never a torn one, and a killed run
/// leaves at most a temp file that sweep_leftovers removes.
#include <certctl/result.hpp>
#include <certctl/secret.hpp>

#include <string>
#include <string_view>
#include <sys/stat.h>
#include <sys/types.h>

namespace certctl::fs {

/// Size limits of the files certctl reads (certctl(1), LIMITS). A larger file is an Input
/// error naming it and the limit; nothing is read past the limit.
inline constexpr std::size_t kMaxFileSize = 4u << 20;     ///< PEM, DER, PKCS#12, CSR, TOML, keys
inline constexpr std::size_t kMaxSecretSize = 64u << 10;  ///< passphrase, password and key files
inline constexpr std::size_t kMaxLogSize = 256u << 20;    ///< orders.log, the local CA's revoked list
inline constexpr std::size_t kMaxCacheSize = 512u << 20;  ///< the record cache
/// A pipe or device must deliver its whole content within this many seconds.
inline constexpr int kPipeTimeoutSeconds = 30;

Result<std::string> read_file(const std::string& path, std::size_t limit = kMaxFileSize);
/// The rule for every file and directory inside the vault: owned by the user certctl runs as
/// (the vault's owner, which Vault::open checks) and not writable by group or others; a
/// symbolic link is refused. A Vault error naming `path` and how to fix it.
Status check_private(const struct stat& st, const std::string& path);
/// read_file for a file inside the vault: check_private on the opened descriptor (a symlink
/// is not followed), then the content. Costs one fstat, which read_file makes anyway; `st`
/// (if given) receives it.
Result<std::string> read_private_file(const std::string& path, std::size_t limit = kMaxFileSize,
                                      struct stat* st = nullptr);
/// check_private for a directory inside the vault (lstat: a symlink is refused).
Status check_private_dir(const std::string& path);
Result<SecretBytes> read_secret_file(const std::string& path, std::size_t limit = kMaxSecretSize);
bool exists(const std::string& path);
bool is_dir(const std::string& path);

Status write_file_atomic(const std::string& path, std::string_view data, mode_t mode = 0600);
/// write_file_atomic without its last step, the fsync of the directory: for a caller that
/// writes several files and then syncs each directory once (sync_dir). Until then the file's
/// contents are durable but its name may not be.
Status write_file_atomic_unsynced(const std::string& path, std::string_view data, mode_t mode = 0600);
/// write_file_atomic for a file the user named outside the vault (--out, --dir, --prometheus,
/// deploy paths): a failure is the user's path (Category::Input), not the vault's. Only a new
/// path or an existing regular file is written; a device, FIFO, socket, directory or symlink
/// is refused and left as it was.
Status write_user_file(const std::string& path, std::string_view data, mode_t mode);
/// The temporary name write_file_atomic uses next to `path`: ".<name>.<pid>.<attempt>.tmp",
/// hidden and never ending like the target (a collector reading *.prom must not see it).
std::string temp_path_for(const std::string& path, int attempt);
/// Remove what killed certctl processes left in `dir`: ".deleted.<pid>.<name>" trees of
/// remove_tree and ".<name>.<pid>.<n>.tmp" files of write_file_atomic, only when that process
/// is gone (a live one's, or this process's, are kept). With `target`, only the temp files of
/// that file name. Best effort; returns how many were removed.
std::size_t sweep_leftovers(const std::string& dir, std::string_view target = {});
/// Create a directory (and parents) with the given mode; an existing directory is fine.
Status make_dirs(const std::string& path, mode_t mode = 0700);
/// fsync a directory so a rename or create in it is durable.
Status sync_dir(const std::string& path);
/// Append one line (a '\n' is added) with a single write(2) to an O_APPEND file, then fsync.
Status append_line(const std::string& path, std::string_view line, mode_t mode = 0600);
/// Remove a directory tree (atomically first renamed aside, so a crash leaves no half tree).
Status remove_tree(const std::string& path);
/// Rename, then fsync the parent directory of `to`.
Status rename_durable(const std::string& from, const std::string& to);
std::string dirname(const std::string& path);
std::string join(std::string_view a, std::string_view b);

}  // namespace certctl::fs
