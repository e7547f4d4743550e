/// http-01 answered by a built-in cpp-httplib server. The server is bound when the solver is
/// made (so a busy port fails before any order is placed), answers only
/// GET/HEAD /.well-known/acme-challenge/<token> for presented tokens, 404 for everything
/// else, and is stopped by cleanup(). The only file that includes <httplib.h>.
#include <certctl/challenge.hpp>

#include "challenge/common.hpp"

#include <httplib.h>

#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <thread>

namespace certctl::challenge {
namespace {

constexpr std::string_view kPrefix = "/.well-known/acme-challenge/";
constexpr int kWorkerThreads = 4;

/// The answers, token -> key authorization, shared with the server's handler threads.
using Answers = Presented<std::string>;

Status check_task(const Task& t) {
  const std::string& subject = t.identifier.empty() ? std::string("http-01") : t.identifier;
  if (!is_base64url(t.token)) {
    return Error(Category::Input, subject, "the challenge token contains characters outside base64url");
  }
  const std::string& ka = t.key_authorization;
  if (ka.size() <= t.token.size() + 1 || ka.compare(0, t.token.size(), t.token) != 0 ||
      ka[t.token.size()] != '.' || !is_base64url(std::string_view(ka).substr(t.token.size() + 1))) {
    return Error(Category::Input, subject, "the key authorization is not \"<token>.<thumbprint>\"");
  }
  return {};
}

class HttpStandalone final : public Responder<std::string> {
 public:
  HttpStandalone(std::string address, int port)
      : Responder(std::make_shared<Answers>()), address_(std::move(address)), port_(port) {}
  ~HttpStandalone() override { stop(); }

  std::string_view type() const override { return "http-01"; }

  Status start() override {
    auto server = std::make_unique<httplib::Server>();
    // SO_REUSEADDR only: httplib's default adds SO_REUSEPORT, which would let us bind next to
    // another listener instead of reporting the port as busy.
    server->set_socket_options([](socket_t sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    server->new_task_queue = [] { return new httplib::ThreadPool(kWorkerThreads); };
    // One request per connection: validators send one GET each, and a connection idling in
    // keep-alive would hold up stop() for the whole keep-alive timeout.
    server->set_keep_alive_max_count(1);
    server->set_read_timeout(5);
    server->set_write_timeout(5);
    server->set_payload_max_length(4096);
    std::shared_ptr<Answers> answers = presented_;
    server->Get(std::string(kPrefix) + "([A-Za-z0-9_-]+)",
                [answers](const httplib::Request& req, httplib::Response& res) {
                  auto ka = answers->find(req.matches[1].str());
                  if (!ka) {
                    res.status = 404;
                    return;
                  }
                  res.status = 200;
                  res.set_content(*ka, "text/plain");
                });

    const std::string bind_host = address_.empty() ? std::string("0.0.0.0") : address_;
    if (!server->bind_to_port(bind_host, port_)) {
      // httplib reports only "false"; binding once more ourselves yields the reason.
      auto probe = listen_tcp(address_, port_);
      if (!probe) return std::move(probe).error();
      return Error(Category::Config, host_port(address_, port_), "cannot listen");
    }

    auto finished = std::make_shared<std::atomic<bool>>(false);
    httplib::Server* raw = server.get();
    std::thread thread([raw, finished] {
      raw->listen_after_bind();
      finished->store(true);
    });
    // stop() only works once the server runs, so wait for that (or for it to give up).
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!raw->is_running() && !finished->load() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    server_ = std::move(server);
    thread_ = std::move(thread);
    if (!server_->is_running()) {
      stop();
      return Error(Category::Internal, host_port(address_, port_), "the challenge server did not start");
    }
    return {};
  }

  void stop() noexcept override {
    if (!server_) return;
    server_->stop();
    if (thread_.joinable()) thread_.join();
    server_.reset();
  }

 private:
  Result<std::pair<std::string, std::string>> answer(const Task& t) const override {
    TRY(check_task(t));
    return std::pair(t.token, t.key_authorization);
  }
  bool running() const override { return server_ != nullptr; }

  std::string address_;
  int port_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
};

}  // namespace

Result<std::unique_ptr<Solver>> make_http_standalone(const std::string& address, int port) {
  TRY(check_port(address, port));
  auto solver = std::make_unique<HttpStandalone>(address, port);
  TRY(solver->start());
  return std::unique_ptr<Solver>(std::move(solver));
}

}  // namespace certctl::challenge
