#pragma once
/// The responder link's messages (private to src/challenge). One SOCK_SEQPACKET datagram per
/// message: a type byte, then fields, each a 4-byte big-endian length and its bytes. Every
/// size is bounded: a message over kMaxMessage, more than kMaxFields fields or a length that
/// runs past the end is refused, never allocated.
#include <certctl/error.hpp>
#include <certctl/result.hpp>

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace certctl::challenge::wire {

inline constexpr std::size_t kMaxMessage = 32 * 1024;
inline constexpr std::size_t kMaxFields = 64;

// Requests (parent -> responder) and answers.
inline constexpr char kBind = 'B';    ///< fields: kind, address, port (repeated)
inline constexpr char kAdd = 'A';     ///< fields: kind, key, value(s)
inline constexpr char kRemove = 'R';  ///< fields: kind, key
inline constexpr char kOk = 'K';      ///< no fields
inline constexpr char kError = 'E';   ///< fields: category, subject, message, cause

struct Message {
  char type = 0;
  std::vector<std::string> fields;
};

/// An Input error naming the responder link when a limit would be exceeded.
Result<std::string> encode(const Message& m);
/// Input error ("responder link") for anything malformed or over a limit.
Result<Message> decode(std::string_view bytes);

/// Send one message (blocking, no SIGPIPE).
Status send(int fd, const Message& m);
/// The next message; Network error "closed" at end of file, Internal after `timeout`.
Result<Message> receive(int fd, std::chrono::milliseconds timeout);

Message error_message(const Error& e);
/// The Error an 'E' message carries (a malformed one becomes an Internal error).
Error to_error(const Message& m);

}  // namespace certctl::challenge::wire
