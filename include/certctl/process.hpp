#pragma once
/// Running other programs (DNS hooks, deploy hooks): posix_spawn with an argv (no shell unless
/// the caller asks for /bin/sh), stdin from /dev/null, stdout+stderr captured (the last 4 KiB),
/// its own process group killed at the timeout, and an environment that never carries the
/// vault's secrets (CERTCTL_PASSPHRASE, CERTCTL_NEW_PASSPHRASE, CERTCTL_PASSPHRASE_FILE,
/// CERTCTL_KEY_FILE).
#include <certctl/result.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace certctl::proc {

struct Command {
  std::vector<std::string> argv;  ///< argv[0] is looked up in PATH when it has no '/'
  std::vector<std::pair<std::string, std::string>> env;  ///< set (replacing inherited values)
  int timeout_s = 60;
};

struct Outcome {
  bool timed_out = false;
  int exit_code = -1;  ///< when it exited
  int signal = 0;      ///< when a signal killed it
  std::string output;  ///< tail of stdout+stderr
  bool ok() const { return !timed_out && exit_code == 0; }
  /// "exited 3", "was killed by signal 9", "timed out after N s and was killed"
  std::string describe(int timeout_s) const;
};

/// Run and wait; the program gets stdin, stdout and stderr and no other descriptor of ours.
/// An Error (Config, subject argv[0]) only when it cannot be started at all.
Result<Outcome> run(const Command& cmd);
/// How spawn_self starts a helper.
struct SelfSpawn {
  bool empty_environment = false;  ///< else ours without the vault's secrets
  bool quiet = false;              ///< stdin and stdout from/to /dev/null (stderr stays ours)
};
/// A helper process of certctl's own (the network process, the responder child): this program
/// again, from /proc/self/exe, with `args` after argv[0]; `fds[i]` becomes its descriptor 3 + i
/// and nothing else of ours but 0, 1 and 2 reaches it; default SIGPIPE/SIGTERM handling and an
/// empty signal mask; it stays in our process group (Ctrl-C reaches both). Returns its pid.
Result<int> spawn_self(const std::vector<std::string>& args, const std::vector<int>& fds, SelfSpawn how = {});
/// Wait for a process spawn_self started (retrying EINTR).
Outcome wait_self(int pid);

/// First thing at start: no core dumps (RLIMIT_CORE 0) and not dumpable or traceable by other
/// processes of the user (PR_SET_DUMPABLE 0), so a crash never writes decrypted keys to disk.
void harden_process();
/// The last non-empty line of some output, control characters blanked: for one-line errors.
std::string last_line(std::string_view out);

/// A program the user names for certctl to run without a shell (a hook): an absolute path to an
/// executable regular file, else a Usage error, its subject the path (or `option` when the path
/// is empty) and its text starting with `what` ("the hook", "the DNS hook").
Status check_program(const std::string& path, std::string_view what, std::string_view option);
/// Not empty, and only letters, digits and the characters of `extra`: what may reach a user
/// program's argv.
bool argv_safe(std::string_view s, std::string_view extra);

}  // namespace certctl::proc
