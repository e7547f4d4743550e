#include <catch2/catch.hpp>

#include <certctl/report.hpp>

#include <nlohmann/json.hpp>

#include <regex>

using namespace certctl;

namespace {
constexpr UnixTime kNow = 1'800'000'000;

vault::Record issued(const std::string& name, long days_left) {
  vault::Record r;
  r.name = name;
  r.domain = name + ".example";
  r.status = vault::CertStatus::Active;
  r.has_cert = true;
  vault::CertMeta m;
  m.subject_dn = "CN=" + r.domain;
  m.issuer_cn = "Test CA";
  m.not_before = kNow - 30 * 86400;
  m.not_after = kNow + days_left * 86400 + 3600;
  r.cert = m;
  return r;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + what.size())) ++n;
  return n;
}

/// The text between <section id="ID"> and its </section>.
std::string section(const std::string& page, const std::string& id) {
  const auto start = page.find("<section id=\"" + id + "\">");
  REQUIRE(start != std::string::npos);
  const auto end = page.find("</section>", start);
  REQUIRE(end != std::string::npos);
  return page.substr(start, end - start);
}

/// The inventory's data block, parsed: one array per record.
nlohmann::json inventory(const std::string& page) {
  const std::string open = "<script type=\"application/json\" id=\"inventory-data\">";
  const auto start = page.find(open);
  REQUIRE(start != std::string::npos);
  const auto end = page.find("</script>", start);
  REQUIRE(end != std::string::npos);
  auto j = nlohmann::json::parse(page.substr(start + open.size(), end - start - open.size()), nullptr, false);
  REQUIRE(j.is_array());
  return j;
}

output::HtmlReport make() { return output::HtmlReport({kNow, "/srv/vault", 90, "1.2.3"}); }
}  // namespace

TEST_CASE("report: script_json_string keeps the data block closed and parses back to the text", "[output][report]") {
  const std::string evil = "</script><!-- \"q\" \\ & \n\t\x01 ünï";
  const std::string lit = output::script_json_string(evil);
  CHECK(lit.find('<') == std::string::npos);
  CHECK(lit.find('>') == std::string::npos);
  CHECK(lit.find('&') == std::string::npos);
  CHECK(lit.find('\n') == std::string::npos);
  CHECK(nlohmann::json::parse(lit) == evil);
}

TEST_CASE("report: html_escape replaces every character that could open markup or end an attribute", "[output][report]") {
  CHECK(output::html_escape("<script>alert('x')</script> & \"q\"") ==
        "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;");
  CHECK(output::html_escape("plain.example") == "plain.example");
  CHECK(output::html_escape("") == "");
}

TEST_CASE("report: one inventory row per record, with status, days and source", "[output][report]") {
  auto page = make();
  page.add(issued("web", 45));
  page.add(issued("soon", 5));
  vault::Record draft;
  draft.name = "draft1";
  draft.domain = "draft.example";
  page.add(draft);
  vault::Record old = issued("old", 0);
  old.cert->not_after = kNow - 2 * 86400;
  page.add(old);
  const std::string html = page.render();
  const std::string inv = section(html, "inventory");
  // [name, names, more names, subject, CA, status, expires, days, days class, source]
  const auto rows = inventory(html);
  REQUIRE(rows.size() == 4);
  CHECK(rows[0] == nlohmann::json::parse(R"(["web", "web.example", 0, "CN=web.example", "local", "active",
                                                "2027-03-01", 45, "", "managed"])"));
  CHECK(rows[1][0] == "soon");
  CHECK(rows[1][7] == 5);
  CHECK(rows[1][8] == "crit");  // a week or less
  CHECK(rows[2] == nlohmann::json::parse(R"(["draft1", "draft.example", 0, "CN=draft.example", "local", "draft",
                                                "", null, "", "managed"])"));
  CHECK(rows[3][5] == "expired");
  CHECK(rows[3][7] == -2);
  CHECK(rows[3][8] == "crit");
  CHECK(inv.find("id=\"shown\">4</span> of <span id=\"total\">4</span>") != std::string::npos);
  // Summary counts.
  const std::string sum = section(html, "summary");
  CHECK(sum.find("id=\"count-total\"><b>4</b>") != std::string::npos);
  CHECK(sum.find("id=\"count-active\"><b>2</b>") != std::string::npos);
  CHECK(sum.find("id=\"count-expired\"><b>1</b>") != std::string::npos);
  CHECK(sum.find("id=\"count-draft\"><b>1</b>") != std::string::npos);
  CHECK(sum.find("id=\"count-soon\"><b>1</b>") != std::string::npos);
  // By CA: the profile name for managed records.
  CHECK(sum.find("<tr><td>local</td><td>4</td><td>2</td><td>1</td><td>1</td></tr>") != std::string::npos);
  CHECK(html.find("<title>certctl report: 4 certificates</title>") != std::string::npos);
}

TEST_CASE("report: a subject or name with markup renders as text", "[output][report]") {
  auto page = make();
  vault::Record r = issued("evil", 40);
  r.cert->subject_dn = "CN=x, O=<script>alert(1)</script>";
  r.subject.o = "<img src=x onerror=alert(2)>";
  r.sans = {"a\"b.example", "x</script><script>alert(4)</script>"};
  r.last_error = "<b>boom</b>";
  r.status = vault::CertStatus::Error;
  page.add(r);
  std::vector<vault::Vault::LoggedOrder> orders(1);
  orders[0].time = "2027-01-15T08:00:00Z";
  orders[0].entry = {"evil", "le", "issue", "failed", "<iframe src=//x>", 1.0, ""};
  page.add_orders(orders);
  page.add_unreadable("bad", "<svg onload=alert(3)>");
  const std::string html = page.render();
  CHECK(html.find(R"(O=\u003cscript\u003ealert(1)\u003c/script\u003e)") != std::string::npos);
  CHECK(html.find("&lt;b&gt;boom&lt;/b&gt;") != std::string::npos);
  CHECK(html.find("&lt;iframe src=//x&gt;") != std::string::npos);
  CHECK(html.find("&lt;svg onload=alert(3)&gt;") != std::string::npos);
  // In the data block: as \u escapes, and the same text again when parsed.
  CHECK(html.find(R"(a\"b.example, x\u003c/script\u003e\u003cscript\u003ealert(4)\u003c/script\u003e)") !=
        std::string::npos);
  CHECK(inventory(html)[0][3] == "CN=x, O=<script>alert(1)</script>");
  // The only script elements are the page's own: its code and its data block; no data made
  // markup anywhere.
  CHECK(count(html, "<script") == 2);
  CHECK(count(html, "</script>") == 2);
  CHECK(html.find("<iframe") == std::string::npos);
  CHECK(html.find("<b>boom") == std::string::npos);
  CHECK(html.find("onerror=alert(2)>") == std::string::npos);
}

TEST_CASE("report: the page names no network resource and forbids fetching any", "[output][report]") {
  auto page = make();
  for (int i = 0; i < 20; ++i) page.add(issued("r" + std::to_string(i), i * 5));
  const std::string html = page.render();
  CHECK(html.find("default-src 'none'") != std::string::npos);
  // No element with an attribute that loads something, and no URL but the SVG namespace.
  CHECK(std::regex_search(html, std::regex(R"(<[a-zA-Z]+[^>]*\s(src|href|srcset|action|poster|data)\s*=)")) == false);
  std::smatch m;
  std::string rest = html;
  std::vector<std::string> urls;
  while (std::regex_search(rest, m, std::regex(R"([a-z]+://[^"' )]+)"))) {
    urls.push_back(m.str());
    rest = m.suffix();
  }
  REQUIRE(urls.size() == 1);
  CHECK(urls[0] == "http://www.w3.org/2000/svg");
}

TEST_CASE("report: the timeline has one bar per day with expiries inside the horizon", "[output][report]") {
  auto page = make();
  page.add(issued("a", 3));
  page.add(issued("b", 3));
  page.add(issued("c", 20));
  page.add(issued("d", 60));
  page.add(issued("far", 120));  // beyond 90 days: not on the timeline
  vault::Record revoked = issued("rev", 10);
  revoked.status = vault::CertStatus::Revoked;  // not expiring in any useful sense
  page.add(revoked);
  const std::string tl = section(page.render(), "timeline");
  CHECK(count(tl, "<rect class=\"bar") == 3);
  CHECK(tl.find("class=\"bar crit\" data-day=\"3\" data-n=\"2\"") != std::string::npos);
  CHECK(tl.find("class=\"bar warn\" data-day=\"20\" data-n=\"1\"") != std::string::npos);
  CHECK(tl.find("class=\"bar ok\" data-day=\"60\" data-n=\"1\"") != std::string::npos);
  CHECK(tl.find("id=\"timeline-total\">4</span>") != std::string::npos);
  CHECK(tl.find("2 expire (a, b)") != std::string::npos);
}

TEST_CASE("report: failed and pending records and the newest failed orders", "[output][report]") {
  auto page = make();
  vault::Record failed = issued("broken", 10);
  failed.status = vault::CertStatus::Error;
  failed.last_error = "CA refused: rateLimited";
  failed.last_problem = "rateLimited";
  failed.attempts = 3;
  failed.next_attempt = kNow + 3600;
  page.add(failed);
  vault::Record pending;
  pending.name = "waiting";
  pending.domain = "waiting.example";
  pending.status = vault::CertStatus::Pending;
  page.add(pending);
  std::vector<vault::Vault::LoggedOrder> orders;
  for (std::size_t i = 0; i < 2 * output::HtmlReport::kMaxFailedOrders + 10; ++i) {
    vault::Vault::LoggedOrder o;
    o.time = "t" + std::to_string(i);
    o.entry = {"n" + std::to_string(i), "le", "renew", i % 2 ? "valid" : "failed", "err" + std::to_string(i), 1, ""};
    orders.push_back(o);
  }
  page.add_orders(orders);
  const std::string html = page.render();
  const std::string f = section(html, "failed");
  CHECK(f.find("<span class=\"n\">1</span>") != std::string::npos);
  CHECK(f.find("CA refused: rateLimited") != std::string::npos);
  CHECK(f.find("<td>3</td>") != std::string::npos);
  const std::string p = section(html, "pending");
  CHECK(p.find("<td>waiting</td>") != std::string::npos);
  const std::string o = section(html, "orders");
  // Only failed attempts, bounded to the newest kMaxFailedOrders, newest first.
  CHECK(count(o, "<tr><td>t") == output::HtmlReport::kMaxFailedOrders);
  CHECK(o.find("err408") < o.find("err406"));
  CHECK(o.find(">err1<") == std::string::npos);  // a valid one
  CHECK(o.find(">err10<") != std::string::npos);  // the oldest failure still kept
  CHECK(o.find(">err0<") == std::string::npos);  // pushed out by newer failures
}

TEST_CASE("report: discovered certificates, where they were seen and which still serve an old version",
          "[output][report]") {
  auto page = make();
  vault::Record web = issued("web", 60);
  web.version = 3;
  page.add(web);
  vault::Record seen = issued("tls-10.0.0.5-443", 20);
  seen.source = vault::Source::Discovered;
  seen.ca.clear();
  seen.seen_at = "tls://10.0.0.5:443";
  seen.first_seen = kNow - 86400;
  seen.last_seen = kNow;
  seen.linked_to = "web";
  seen.linked_version = 2;
  seen.verify_result = "<unable to get local issuer certificate>";
  page.add(seen);
  vault::Record current = issued("file-0123456789ab", 60);
  current.source = vault::Source::Discovered;
  current.seen_at = "file:/etc/nginx/tls/web.pem";
  current.linked_to = "web";
  current.linked_version = 3;
  page.add(current);
  const std::string html = page.render();
  const std::string d = section(html, "discovered");
  CHECK(d.find("<span class=\"n\">2</span>") != std::string::npos);
  CHECK(d.find("<td>tls://10.0.0.5:443</td>") != std::string::npos);
  CHECK(d.find("web v2 <b class=\"err old\">old: current is v3</b>") != std::string::npos);
  CHECK(d.find("<td>web v3</td>") != std::string::npos);
  CHECK(count(d, "old: current") == 1);
  CHECK(d.find("&lt;unable to get local issuer certificate&gt;") != std::string::npos);
  // In the inventory too, with their source; never among the pending or failed.
  const auto rows = inventory(html);
  REQUIRE(rows.size() == 3);
  CHECK(rows[1][0] == "tls-10.0.0.5-443");
  CHECK(rows[1][9] == "discovered");
  CHECK(section(html, "summary").find("<tr><td>discovered</td><td>2</td></tr>") != std::string::npos);
  CHECK(section(html, "pending").find("No record waits") != std::string::npos);
}
