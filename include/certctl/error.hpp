#pragma once
/// certctl's one error type. Every failure the user can see is an Error: a category (which
/// fixes the exit code), a subject (the file, domain, CA, field or record at fault), a message
/// and an optional cause. Rendered as one line: `certctl: <subject>: <message>[: <cause>]`.
#include <string>
#include <string_view>

namespace certctl {

/// Categories and their exit codes. This table is copied into man/certctl.1 (EXIT STATUS) and
/// README.md; change all three together (the `--help` footer is made from kAllCategories and
/// category_summary()).
enum class Category {
  Aborted,   ///< 1: the user declined a confirmation
  Usage,     ///< 2: bad command line
  Config,    ///< 3: bad configuration (vault config, CA profile)
  Input,     ///< 4: bad input data: PEM/DER/CSR/key, domain syntax, mismatched key or chain
  Vault,     ///< 5: vault problem: missing, unsafe permissions, locked, wrong passphrase, corrupt
  Network,   ///< 6: network or TLS failure
  Ca,        ///< 7: the CA refused (ACME problem document)
  Dns,       ///< 8: DNS provider or propagation failure
  State,     ///< 9: the record is in the wrong lifecycle state for this command, or exists already
  NotFound,  ///< 10: no such record, CA or file
  Deploy,    ///< 11: the certificate is in the vault, but a deploy target or hook failed
  Policy,    ///< 12: a hard rule of the issuance policy refused it (nothing written)
  Internal,  ///< 70: a bug
};

/// `s` safe to print on one terminal line: control characters (a newline, ESC, DEL) become
/// \n, \r, \t or \xNN; everything else, UTF-8 included, is kept. Error::text() applies it, so
/// a name from a file or the command line is never echoed raw.
std::string printable(std::string_view s);

/// Every category, in the order of its exit code.
inline constexpr Category kAllCategories[] = {
    Category::Aborted, Category::Usage, Category::Config, Category::Input,    Category::Vault,    Category::Network,
    Category::Ca,      Category::Dns,   Category::State,  Category::NotFound, Category::Deploy,   Category::Policy,
    Category::Internal,
};

/// The process exit code of a category.
int exit_code(Category c) noexcept;
/// A short stable name ("input", "vault", ...), used in JSON error objects.
std::string_view category_name(Category c) noexcept;
/// A few words for the `--help` footer ("bad input", "CA refused").
std::string_view category_summary(Category c) noexcept;

class Error {
 public:
  Error(Category category, std::string subject, std::string message, std::string cause = {})
      : category_(category), subject_(std::move(subject)), message_(std::move(message)),
        cause_(std::move(cause)) {}

  Category category() const noexcept { return category_; }
  const std::string& subject() const noexcept { return subject_; }
  const std::string& message() const noexcept { return message_; }
  const std::string& cause() const noexcept { return cause_; }
  int exit_code() const noexcept { return certctl::exit_code(category_); }

  /// "<subject>: <message>[: <cause>]" (no "certctl: " prefix, no newline; control
  /// characters escaped by printable()).
  std::string text() const;

  /// A copy with a different subject, keeping the rest (used when a lower layer named the
  /// wrong thing, e.g. a temp path instead of the user's file).
  Error with_subject(std::string subject) const;
  /// A copy in another category (e.g. a file-system error outside the vault is Input).
  Error with_category(Category c) const { return Error(c, subject_, message_, cause_); }

 private:
  Category category_;
  std::string subject_;
  std::string message_;
  std::string cause_;
};

}  // namespace certctl
