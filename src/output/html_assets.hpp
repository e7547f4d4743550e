#pragma once
// The report page's styles and script (src/output/html_report.cpp), inline so the page is one
// file that fetches nothing. The script reads the inventory's JSON data block and makes the
// rows it shows with createElement and textContent only (never innerHTML), so data never
// becomes markup.
#include <string_view>

namespace certctl::output::html_assets {

inline constexpr std::string_view kStyle = R"css(
:root{--ok:#1a7f37;--warn:#9a6700;--crit:#cf222e;--dim:#6e7781;--rev:#8250df;--bg:#fff;--fg:#1f2328;--line:#d0d7de}
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 24px 40px;color:var(--fg);background:var(--bg)}
h1{font-size:22px;margin:18px 0 2px}h2{font-size:17px;margin:26px 0 8px}header p{color:var(--dim);margin:0}
.cards{display:flex;flex-wrap:wrap;gap:8px}.card{border:1px solid var(--line);border-radius:6px;padding:6px 12px;min-width:88px}
.card b{display:block;font-size:20px}.card span{color:var(--dim);font-size:12px}
.card.warn b{color:var(--warn)}.card.st-active b{color:var(--ok)}.card.st-pending b{color:var(--warn)}
.card.st-expired b,.card.st-error b{color:var(--crit)}.card.st-revoked b{color:var(--rev)}.card.st-draft b{color:var(--dim)}
.twocol{display:flex;flex-wrap:wrap;gap:24px;margin-top:12px;align-items:flex-start}
table{border-collapse:collapse}caption{text-align:left;font-weight:600;padding:4px 0}
th,td{border-bottom:1px solid var(--line);padding:3px 8px;text-align:left;vertical-align:top}
#certs{width:100%}#certs th{cursor:pointer;user-select:none;white-space:nowrap;position:sticky;top:0;background:var(--bg)}
#certs th[aria-sort=ascending]::after{content:" \25B2"}#certs th[aria-sort=descending]::after{content:" \25BC"}
#certs td:nth-child(6){white-space:nowrap}
#certs td:nth-child(7),#by-ca td+td,#by-source td+td{text-align:right}
tr[data-s=active] .s{color:var(--ok)}tr[data-s=pending] .s{color:var(--warn)}tr[data-s=draft] .s{color:var(--dim)}
tr[data-s=expired] .s,tr[data-s=error] .s{color:var(--crit);font-weight:600}tr[data-s=revoked] .s{color:var(--rev)}
td.crit{color:var(--crit);font-weight:600}td.warn{color:var(--warn);font-weight:600}.err{color:var(--crit)}
#filters{margin:6px 0 10px;display:flex;gap:8px;align-items:center;flex-wrap:wrap}#q{width:320px}
svg .bar.ok{fill:var(--ok)}svg .bar.warn{fill:var(--warn)}svg .bar.crit{fill:var(--crit)}
svg .axis,svg .tick{stroke:var(--dim)}svg .lbl{font-size:10px;fill:var(--dim)}
i{color:var(--dim)}
)css";

inline constexpr std::string_view kScript = R"js(
(function () {
  "use strict";
  // The rows: [name, names, more names, subject, CA, status, expires, days, days class, source]
  // (html_report.cpp's add). Only the page of rows shown is made into elements.
  var NAME = 0, NAMES = 1, MORE = 2, SUBJECT = 3, CA = 4, STATUS = 5, EXPIRES = 6, DAYS = 7, CLS = 8, SOURCE = 9;
  var PAGE = 500;
  var data = JSON.parse(document.getElementById("inventory-data").textContent);
  var table = document.getElementById("certs");
  var body = table.tBodies[0];
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var q = document.getElementById("q"), status = document.getElementById("status");
  var source = document.getElementById("source"), within = document.getElementById("within");
  var shown = document.getElementById("shown"), more = document.getElementById("more");
  // Sort keys by column, in the order of the headings.
  var keys = [NAME, NAMES, SUBJECT, CA, STATUS, EXPIRES, DAYS, SOURCE];
  var order = data.map(function (r, i) { return i; });
  var text = data.map(function (r) { return [r[NAME], r[NAMES], r[SUBJECT], r[CA]].join(" ").toLowerCase(); });
  var matching = [], limit = PAGE, sortCol = -1, sortDir = 1;

  function days(r) { return r[DAYS] === null ? Infinity : r[DAYS]; }
  function cell(tr, value, cls) {
    var td = document.createElement("td");
    td.textContent = value;
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }
  function render() {
    var frag = document.createDocumentFragment(), n = Math.min(limit, matching.length);
    for (var i = 0; i < n; i++) {
      var r = data[matching[i]], tr = document.createElement("tr");
      tr.setAttribute("data-s", r[STATUS]);
      tr.setAttribute("data-src", r[SOURCE]);
      cell(tr, r[NAME]);
      var names = cell(tr, r[NAMES]);
      if (r[MORE] > 0) {
        var m = document.createElement("i");
        m.textContent = " +" + r[MORE] + " more";
        names.appendChild(m);
      }
      cell(tr, r[SUBJECT]);
      cell(tr, r[CA]);
      cell(tr, r[STATUS], "s");
      cell(tr, r[EXPIRES]);
      cell(tr, r[DAYS] === null ? "" : String(r[DAYS]), r[CLS]);
      cell(tr, r[SOURCE]);
      frag.appendChild(tr);
    }
    body.textContent = "";
    body.appendChild(frag);
    shown.textContent = String(matching.length);
    more.hidden = matching.length <= n;
  }
  function apply() {
    var t = q.value.trim().toLowerCase(), st = status.value, src = source.value;
    var w = within.value === "" ? null : Number(within.value);
    matching = order.filter(function (i) {
      var r = data[i];
      if (t && text[i].indexOf(t) < 0) return false;
      if (st && r[STATUS] !== st) return false;
      if (src && r[SOURCE] !== src) return false;
      if (w !== null) return w === 0 ? days(r) < 0 : days(r) <= w;
      return true;
    });
    limit = PAGE;
    render();
    save();
  }
  function sortBy(col, dir) {
    var k = keys[col], numeric = heads[col].getAttribute("data-t") === "num";
    var key = numeric ? function (i) { return k === DAYS ? days(data[i]) : (data[i][k] || "\uffff"); }
                      : function (i) { return String(data[i][k]).toLowerCase(); };
    var keyed = order.map(function (i) { return { i: i, k: key(i) }; });
    keyed.sort(function (a, b) { return a.k < b.k ? -dir : a.k > b.k ? dir : a.i - b.i; });
    order = keyed.map(function (e) { return e.i; });
    heads.forEach(function (h, i) {
      h.setAttribute("aria-sort", i === col ? (dir > 0 ? "ascending" : "descending") : "none");
    });
    sortCol = col; sortDir = dir;
  }
  function save() {
    var p = [];
    if (q.value) p.push("q=" + encodeURIComponent(q.value));
    if (status.value) p.push("status=" + encodeURIComponent(status.value));
    if (source.value) p.push("source=" + encodeURIComponent(source.value));
    if (within.value) p.push("within=" + encodeURIComponent(within.value));
    if (sortCol >= 0) p.push("sort=" + heads[sortCol].getAttribute("data-k"), "dir=" + (sortDir > 0 ? "asc" : "desc"));
    try { history.replaceState(null, "", p.length ? "#" + p.join("&") : location.pathname + location.search); } catch (e) {}
  }
  function load() {
    var p = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i > 0) { try { p[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1)); } catch (e) {} }
    });
    if (p.q) q.value = p.q;
    function choose(sel, v) {
      for (var i = 0; i < sel.options.length; i++) if (sel.options[i].value === v) { sel.value = v; return; }
    }
    if (p.status) choose(status, p.status);
    if (p.source) choose(source, p.source);
    if (p.within) choose(within, p.within);
    for (var i = 0; p.sort && i < heads.length; i++)
      if (heads[i].getAttribute("data-k") === p.sort) sortBy(i, p.dir === "desc" ? -1 : 1);
    if (/^[1-9][0-9]{0,5}$/.test(p.page || "")) PAGE = Number(p.page);
    apply();
  }
  heads.forEach(function (h, i) {
    function go() { sortBy(i, sortCol === i ? -sortDir : 1); apply(); }
    h.addEventListener("click", go);
    h.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); go(); } });
  });
  [q, status, source, within].forEach(function (el) { el.addEventListener("input", apply); });
  document.getElementById("show-more").addEventListener("click", function () { limit += PAGE; render(); });
  document.getElementById("show-all").addEventListener("click", function () { limit = Infinity; render(); });
  load();
  document.body.setAttribute("data-ready-ms", String(Math.round(performance.now())));
})();
)js";

}  // namespace certctl::output::html_assets
