#pragma once
// The report page's styles and script (src/output/html_report.cpp), inline so the page is one
// file that fetches nothing. The script reads the rows html_report.cpp wrote; it never turns
// data into markup (no innerHTML), so escaping lives in one place: html_escape.
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
  var table = document.getElementById("certs");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var q = document.getElementById("q"), status = document.getElementById("status");
  var source = document.getElementById("source"), within = document.getElementById("within");
  var shown = document.getElementById("shown");
  var sortCol = -1, sortDir = 1;
  rows.forEach(function (r) { r.searchText = r.textContent.toLowerCase(); });

  function num(cell) {
    if (!cell) return Infinity;
    var v = cell.getAttribute("data-v");
    var t = v !== null ? v : cell.textContent;
    return t === "" ? Infinity : Number(t);
  }
  function apply() {
    var text = q.value.trim().toLowerCase(), st = status.value, src = source.value;
    var days = within.value === "" ? null : Number(within.value), n = 0;
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i], ok = true;
      if (text && r.searchText.indexOf(text) < 0) ok = false;
      if (ok && st && r.getAttribute("data-s") !== st) ok = false;
      if (ok && src && r.getAttribute("data-src") !== src) ok = false;
      if (ok && days !== null) {
        var d = num(r.cells[6]);
        ok = days === 0 ? d < 0 : d <= days;
      }
      r.hidden = !ok;
      if (ok) n++;
    }
    shown.textContent = String(n);
    save();
  }
  function sortBy(col, dir) {
    var numeric = heads[col].getAttribute("data-t") === "num";
    var keyed = rows.map(function (r, i) {
      var c = r.cells[col];
      return { r: r, i: i, k: numeric ? num(c) : (c ? c.textContent.toLowerCase() : "") };
    });
    keyed.sort(function (a, b) {
      if (a.k < b.k) return -dir;
      if (a.k > b.k) return dir;
      return a.i - b.i;
    });
    rows = keyed.map(function (e) { return e.r; });
    var frag = document.createDocumentFragment();
    rows.forEach(function (r) { frag.appendChild(r); });
    body.appendChild(frag);
    heads.forEach(function (h, i) {
      h.setAttribute("aria-sort", i === col ? (dir > 0 ? "ascending" : "descending") : "none");
    });
    sortCol = col; sortDir = dir;
    save();
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
    var h = location.hash.replace(/^#/, ""), p = {};
    h.split("&").forEach(function (kv) {
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
    if (p.sort) {
      for (var i = 0; i < heads.length; i++)
        if (heads[i].getAttribute("data-k") === p.sort) sortBy(i, p.dir === "desc" ? -1 : 1);
    }
    apply();
  }
  heads.forEach(function (h, i) {
    function go() { sortBy(i, sortCol === i ? -sortDir : 1); }
    h.addEventListener("click", go);
    h.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); go(); } });
  });
  [q, status, source, within].forEach(function (el) { el.addEventListener("input", apply); });
  load();
  document.body.setAttribute("data-ready-ms", String(Math.round(performance.now())));
})();
)js";

}  // namespace certctl::output::html_assets
