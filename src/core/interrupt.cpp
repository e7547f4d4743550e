// SIGINT/SIGTERM: a flag for the first, the default action for the second.
#include <certctl/interrupt.hpp>

#include <signal.h>

#include <atomic>
#include <thread>

#include <fmt/format.h>

namespace certctl {
namespace {

std::atomic<int> g_signal{0};

void on_signal(int sig) {
  if (g_signal.exchange(sig) != 0) {  // the second one: give up at once
    ::signal(sig, SIG_DFL);
    ::raise(sig);
  }
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: a blocking read returns EINTR
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

bool interrupted() noexcept { return g_signal.load() != 0; }

Status check_interrupted(std::string_view what) {
  if (!interrupted()) return ok();
  return Error(Category::Aborted, std::string(what),
               fmt::format("interrupted by {}; cleaned up", g_signal.load() == SIGINT ? "Ctrl-C" : "SIGTERM"));
}

Status interruptible_sleep(std::chrono::milliseconds d, std::string_view what) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
    TRY(check_interrupted(what));
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
    std::this_thread::sleep_for(std::min(left, std::chrono::milliseconds(50)));
  }
  return check_interrupted(what);
}

}  // namespace certctl
