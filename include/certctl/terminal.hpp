#pragma once
/// What the terminal allows: colour (isatty, TERM != dumb, NO_COLOR, CLICOLOR_FORCE),
/// no-echo secret prompts and yes/no confirmations (both only on a TTY).
#include <certctl/result.hpp>
#include <certctl/secret.hpp>

#include <string_view>

namespace certctl::term {

bool is_tty(int fd);
bool use_color(int fd);
/// Read a secret from /dev/tty with echo off. Fails with Usage when there is no TTY.
Result<SecretBytes> prompt_secret(std::string_view prompt, std::string_view what);
/// Ask "prompt [y/N]" on the TTY; without a TTY returns an Aborted error telling to pass --yes.
Status confirm(std::string_view prompt, std::string_view subject);

}  // namespace certctl::term
