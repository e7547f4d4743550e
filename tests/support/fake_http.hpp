#pragma once
// A scripted http::Client: answers requests from a queue of canned responses per
// "METHOD URL" and records every request, so ACME flows run without a network. factory()
// hands it to code that makes its own clients.
#include <certctl/http.hpp>

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace certctl::test {

class FakeHttp final : public http::Client {
 public:
  /// Queue a response for METHOD URL; the last one queued for a key is repeated when the
  /// queue runs dry. Every response gets a fresh Replay-Nonce unless it already has one.
  void on(const std::string& method, const std::string& url, long status, std::string body,
          std::vector<http::Header> headers = {}) {
    routes_[method + " " + url].push_back(http::Response{status, std::move(headers), std::move(body)});
  }

  Result<http::Response> send(const http::Request& req) override {
    requests.push_back(req);
    auto it = routes_.find(req.method + " " + req.url);
    if (it == routes_.end() || it->second.empty())
      return Error(Category::Network, req.url, "fake: no route for " + req.method);
    http::Response r = it->second.front();
    if (it->second.size() > 1) it->second.pop_front();
    if (!r.header("Replay-Nonce")) r.headers.push_back({"Replay-Nonce", "nonce-" + std::to_string(++nonce_)});
    return r;
  }

  /// Makes clients that send through this fake (for code given an http::ClientFactory, such
  /// as lifecycle::Context or ca::make_issuer) and keeps the options each was made with.
  http::ClientFactory factory() {
    return [this](const http::ClientOptions& o) -> std::unique_ptr<http::Client> {
      options.push_back(o);
      return std::make_unique<Forward>(*this);
    };
  }

  std::size_t count(const std::string& method, const std::string& url) const {
    std::size_t n = 0;
    for (const auto& r : requests)
      if (r.method == method && r.url == url) ++n;
    return n;
  }

  std::vector<http::Request> requests;
  std::vector<http::ClientOptions> options;  ///< of every client factory() made

 private:
  class Forward final : public http::Client {
   public:
    explicit Forward(FakeHttp& to) : to_(to) {}
    Result<http::Response> send(const http::Request& req) override { return to_.send(req); }

   private:
    FakeHttp& to_;
  };

  std::map<std::string, std::deque<http::Response>> routes_;
  int nonce_ = 0;
};

}  // namespace certctl::test
