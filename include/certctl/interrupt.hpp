#pragma once
/// Ctrl-C and SIGTERM: the first one sets a flag that long waits (DNS propagation, ACME
/// polling, the manual dns-01 prompt) check, so they return an Aborted error and every solver
/// cleans up on the way out; a second one ends the process at once.
#include <certctl/result.hpp>

#include <chrono>
#include <string_view>

namespace certctl {

/// Install the handlers (once, from main).
void install_interrupt_handlers();
bool interrupted() noexcept;
/// Aborted error naming `what` when interrupted, else ok.
Status check_interrupted(std::string_view what);
/// Sleep up to `d`, waking early (with an Aborted error naming `what`) on an interrupt.
Status interruptible_sleep(std::chrono::milliseconds d, std::string_view what);

}  // namespace certctl
