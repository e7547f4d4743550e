// The http-01 responder's request handling (src/challenge/http_request.cpp): http_response()
// gets the bytes a client has sent so far, as the responder's poll loop hands them over, and
// answers once the request head is complete. Whatever the bytes: no answer only while the head
// is incomplete and within kMaxRequestHead; an answer is one HTTP/1.1 response; the key
// authorization goes only to a request whose target names its token; and the bytes arriving
// in pieces get the same answer as all at once.
#include "challenge/http_request.hpp"
#include "fuzz.hpp"

using namespace certctl;

namespace {

constexpr std::string_view kToken = "fuzzToken_0123456789-abcdefghijklmnopqrstu";
const std::string kKeyAuthorization = std::string(kToken) + ".Zm9vYmFyYmF6cXV4LXRodW1icHJpbnQtZm9yLWZ1enoi";

const std::string* lookup(std::string_view token) { return token == kToken ? &kKeyAuthorization : nullptr; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view received = fuzz::as_text(data, size);
  const std::optional<std::string> answer = challenge::http_response(received, lookup);
  if (!answer) {
    if (received.size() > challenge::kMaxRequestHead) fuzz::fail("no answer to a head over the limit");
    if (received.find("\r\n\r\n") != std::string_view::npos || received.find("\n\n") != std::string_view::npos)
      fuzz::fail("no answer to a complete head");
    return 0;
  }
  if (answer->rfind("HTTP/1.1 ", 0) != 0 || answer->find("\r\n\r\n") == std::string::npos)
    fuzz::fail("an answer that is not one HTTP/1.1 response");
  if (answer->find(kKeyAuthorization) != std::string::npos && received.find(kToken) == std::string_view::npos)
    fuzz::fail("the key authorization went to a request without its token");
  // The poll loop calls again as bytes arrive: the first prefix that gets an answer must get
  // this one (the rest of the bytes is never read).
  for (std::size_t n = 0; n < received.size(); ++n) {
    if (auto early = challenge::http_response(received.substr(0, n), lookup)) {
      const auto again = challenge::http_response(received.substr(0, n), lookup);
      if (again != early) fuzz::fail("the same bytes got two different answers");
      return 0;
    }
  }
  return 0;
}
