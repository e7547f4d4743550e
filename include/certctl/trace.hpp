#pragma once
/// What certctl is doing, for -v/--verbose, --debug and --log-file: one process-wide sink that
/// any layer (http, dns, challenge, acme, lifecycle, hooks in core) writes to without knowing
/// where the lines go. The CLI installs the sink (stderr or the log file); the network process
/// installs one that forwards each line over its socket to the parent's sink. Until a sink is
/// installed every call is a cheap no-op.
///
/// Every line passes through `redact` on its way to the sink, so no secret reaches a trace even
/// when a caller forgets: the one redaction table is in src/core/trace.cpp.
#include <functional>
#include <string>
#include <string_view>

namespace certctl::trace {

enum class Level {
  Off = 0,
  Steps = 1,  ///< -v: one line per finished step (order created, challenge valid, hook ran...)
  Debug = 2,  ///< --debug: the steps plus every HTTP exchange, DNS message and hook run
};

/// Receives one finished, redacted line (no trailing newline; it may hold newlines of a body).
using Sink = std::function<void(Level, std::string_view)>;

/// Install the sink and the level (from main, before any other thread runs; the network
/// process after reading its plan). Level Off or an empty sink turns tracing off.
void install(Level level, Sink sink);
Level level() noexcept;
/// Is anything at `l` wanted? Check before building an expensive line.
bool enabled(Level l) noexcept;

/// -v: one finished step.
void step(std::string_view line);
/// --debug: a trace line (an HTTP exchange, a DNS message, a hook run).
void debug(std::string_view line);
/// Send a line at a given level (the parent forwards the network process's lines with it).
void emit(Level l, std::string_view line);

/// A secret's value that must never appear in a trace (a DNS provider's token, a TSIG secret):
/// every later line has it replaced by <redacted>. Values shorter than 6 bytes are ignored.
void add_secret(std::string_view value);

// ---- the redactor: one table, used by every line ------------------------------------------

/// The replacement text of a redacted value.
inline constexpr std::string_view kRedacted = "<redacted>";
/// Does a header of this name carry a credential (Authorization, X-API-Key, ...)?
/// Case-insensitive.
bool secret_header(std::string_view name);
/// "Name: value", the value replaced when secret_header(name).
std::string header_line(std::string_view name, std::string_view value);
/// Text with its secrets replaced: private-key PEM blocks, JSON string members whose name is
/// in the table (signature, password, secret, hmac, ...), the user:password of URLs, the values
/// given to add_secret, and
/// a flattened JWS (`"protected"`/`"payload"` base64url members) shown decoded and redacted
/// the same way, so an EAB's inner JWS loses its HMAC signature too. Each line comes out safe to
/// print (control characters escaped as certctl::printable does; the newlines kept).
std::string redact(std::string_view text);

}  // namespace certctl::trace
