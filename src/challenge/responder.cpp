/// The built-in responders' plumbing: the parent's ResponderLink, the Responders that own the
/// server (a re-executed child process or a thread) and the child's entry point, which binds,
/// drops to an unprivileged user and serves until the link closes.
#include <certctl/challenge.hpp>
#include <certctl/process.hpp>

#include "challenge/common.hpp"
#include "challenge/link_wire.hpp"
#include "challenge/responder_server.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace certctl::challenge {
namespace {

constexpr const char* kSubject = "challenge responder";
constexpr auto kBindTimeout = std::chrono::seconds(15);
constexpr auto kAnswerTimeout = std::chrono::seconds(10);
constexpr int kLinkFd = 3;  ///< the child's end of the link

std::string kind_name(ResponderKind k) { return k == ResponderKind::Http01 ? "http-01" : "tls-alpn-01"; }

Result<std::pair<UniqueFd, UniqueFd>> link_pair() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
    return Error(Category::Internal, kSubject, "cannot create a socket pair", errno_text(errno));
  return std::pair(UniqueFd(sv[0]), UniqueFd(sv[1]));
}

/// Wait up to ~2 s for the child to exit after its link closed, then kill it.
void reap(pid_t pid) {
  for (int i = 0; i < 400; ++i) {
    if (::waitpid(pid, nullptr, WNOHANG) != 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

/// As root: become `user` (its primary group, no supplementary groups) for good. Otherwise
/// there is nothing to drop.
Status drop_privileges(const std::string& user) {
  if (::geteuid() != 0) return {};
  const passwd* pw = ::getpwnam(user.c_str());
  if (!pw) return Error(Category::Config, user, "no such user to run the challenge responder as");
  if (pw->pw_uid == 0) return Error(Category::Config, user, "the challenge responder must not run as root");
  const uid_t uid = pw->pw_uid;
  const gid_t gid = pw->pw_gid;
  if (::setgroups(0, nullptr) != 0 || ::setresgid(gid, gid, gid) != 0 || ::setresuid(uid, uid, uid) != 0)
    return Error(Category::Config, user, "cannot switch the challenge responder to this user", errno_text(errno));
  if (::setuid(0) == 0) return Error(Category::Internal, user, "the challenge responder could regain root");
  return {};
}

}  // namespace

std::string to_string(const Endpoint& e) { return kind_name(e.kind) + " on " + host_port(e.address, e.port); }

// ---- ResponderLink -----------------------------------------------------------------------------

Status ResponderLink::call(char type, std::vector<std::string> fields) {
  std::lock_guard lock(mu_);
  if (!fd_) return Error(Category::Internal, kSubject, "is not running");
  if (Status sent = wire::send(fd_.get(), wire::Message{type, std::move(fields)}); !sent) {
    if (sent.error().category() != Category::Input) fd_.close();  // not just a message over the limits
    return sent;
  }
  auto answer = wire::receive(fd_.get(), type == wire::kBind ? kBindTimeout : kAnswerTimeout);
  if (!answer) {
    fd_.close();  // a late answer must never be taken for the next request's
    return Error(Category::Internal, kSubject, "stopped answering", answer.error().text());
  }
  if (answer->type == wire::kOk && answer->fields.empty()) return {};
  return wire::to_error(*answer);
}

Status ResponderLink::bind(const std::vector<Endpoint>& endpoints) {
  std::vector<std::string> fields;
  for (const auto& e : endpoints) {
    TRY(check_port(e.address, e.port));
    fields.insert(fields.end(), {kind_name(e.kind), e.address, std::to_string(e.port)});
  }
  return call(wire::kBind, std::move(fields));
}

Status ResponderLink::add_http(const std::string& token, const std::string& key_authorization) {
  return call(wire::kAdd, {"http-01", token, key_authorization});
}

Status ResponderLink::add_tls(const std::string& sni, const std::string& cert_pem, const std::string& key_pem) {
  return call(wire::kAdd, {"tls-alpn-01", sni, cert_pem, key_pem});
}

Status ResponderLink::remove(ResponderKind kind, const std::string& key) {
  return call(wire::kRemove, {kind_name(kind), key});
}

void ResponderLink::close() noexcept {
  std::lock_guard lock(mu_);
  fd_.close();
}

// ---- Responders ----------------------------------------------------------------------------------

struct Responders::Thread {
  std::thread thread;
};

Responders::Responders(UniqueFd fd, std::vector<Endpoint> endpoints)
    : link_(std::move(fd)), endpoints_(std::move(endpoints)) {}

Responders::~Responders() {
  link_.close();
  if (thread_ && thread_->thread.joinable()) thread_->thread.join();
  if (pid_ > 0) reap(pid_);
}

bool Responders::serves(const Endpoint& e) const {
  return std::find(endpoints_.begin(), endpoints_.end(), e) != endpoints_.end();
}

Result<std::shared_ptr<Responders>> Responders::start_thread(const std::vector<Endpoint>& endpoints) {
  TRY_ASSIGN(auto pair, link_pair());
  std::shared_ptr<Responders> r(new Responders(std::move(pair.first), endpoints));
  r->thread_ = std::make_unique<Thread>();
  try {
    r->thread_->thread = std::thread(
        [fd = std::move(pair.second)]() mutable { serve_responder(std::move(fd), nullptr); });
  } catch (const std::system_error& e) {
    return Error(Category::Internal, kSubject, "cannot start a thread", e.what());
  }
  TRY(r->link().bind(endpoints));
  return r;
}

std::shared_ptr<Responders> Responders::adopt(UniqueFd fd, std::vector<Endpoint> endpoints) {
  return std::shared_ptr<Responders>(new Responders(std::move(fd), std::move(endpoints)));
}

Result<std::shared_ptr<Responders>> Responders::spawn(const std::vector<Endpoint>& endpoints, const std::string& user) {
  TRY_ASSIGN(auto pair, link_pair());
  std::shared_ptr<Responders> r(new Responders(std::move(pair.first), endpoints));
  // Nothing of ours in its environment: no passphrase variable reaches the child.
  const std::string who = user.empty() ? "nobody" : user;
  TRY_ASSIGN(r->pid_, proc::spawn_self({kResponderArg, who}, {pair.second.get()}, {.empty_environment = true, .quiet = true}));
  TRY(r->link().bind(endpoints));
  return r;
}

// ---- the child -----------------------------------------------------------------------------------

int responder_main(int argc, char** argv) {
  ::signal(SIGINT, SIG_IGN);  // Ctrl-C is the parent's to handle; the child ends with the link
  ::signal(SIGPIPE, SIG_IGN);
  const std::string user = argc > 2 ? argv[2] : "nobody";
  const pid_t parent = ::getppid();
  if (::chdir("/") != 0) return 1;
  serve_responder(UniqueFd(kLinkFd), [&]() -> Status {
    TRY(drop_privileges(user));
    if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
      return Error(Category::Internal, kSubject, "cannot set no_new_privs", errno_text(errno));
    // Set after the user change, which clears it; the parent may have gone in between.
    (void)::prctl(PR_SET_PDEATHSIG, SIGKILL);
    (void)::prctl(PR_SET_DUMPABLE, 0);
    if (::getppid() != parent) return Error(Category::Internal, kSubject, "the parent process is gone");
    return {};
  });
  return 0;
}

}  // namespace certctl::challenge
