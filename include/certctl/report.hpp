#pragma once
/// `certctl report --html`: the whole inventory as one self-contained HTML page (no network
/// resources; works from a file URL). The page is built one record at a time: `add` keeps only
/// the cells and counts the page needs, so a vault of any size is walked, not loaded.
#include <certctl/clock.hpp>
#include <certctl/record.hpp>
#include <certctl/vault.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace certctl::output {

class HtmlReport {
 public:
  struct Options {
    UnixTime now = 0;
    std::string vault;        ///< where the inventory lives, as the page names it
    int horizon_days = 90;    ///< the expiry timeline's span
    std::string version;      ///< certctl's version, in the footer
  };
  /// The most failed attempts from orders.log the page lists (newest first).
  static constexpr std::size_t kMaxFailedOrders = 200;

  explicit HtmlReport(Options o);
  ~HtmlReport();
  HtmlReport(const HtmlReport&) = delete;
  HtmlReport& operator=(const HtmlReport&) = delete;

  void add(const vault::Record& r);
  /// orders.log, oldest first: the failed attempts are kept (the newest kMaxFailedOrders).
  void add_orders(const std::vector<vault::Vault::LoggedOrder>& orders);
  /// Records the walk could not read (named in the page, not silently dropped).
  void add_unreadable(std::string_view name, std::string_view problem);
  std::string render() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

/// `text` with & < > " ' replaced by their character references: safe as element content and
/// as a quoted attribute value. The escaping of every text the page shows as markup.
std::string html_escape(std::string_view text);
/// `text` as a JSON string literal whose characters include no < > & (they become \u escapes),
/// so it is safe inside the page's <script type="application/json"> data block.
std::string script_json_string(std::string_view text);

}  // namespace certctl::output
