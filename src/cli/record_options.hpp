#pragma once
// The record options shared by `create` and `edit`.
#include <certctl/lifecycle.hpp>

#include <memory>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace certctl::cli {

/// Bind --domain, --san, --key-type, --ca, --renew-days and the subject options to `f`;
/// only options actually given end up set in `f` (after finish_record_options).
struct RecordOptionBinding {
  lifecycle::RecordFields fields;
  std::string domain, key_type, ca, o, ou, c, st, l, email, key_policy;
  std::vector<std::string> sans;
  int renew_days = 0;
};

void add_record_options(CLI::App* sub, RecordOptionBinding& b);
/// Copy the options that were given into b.fields.
void finish_record_options(CLI::App* sub, RecordOptionBinding& b);

}  // namespace certctl::cli
