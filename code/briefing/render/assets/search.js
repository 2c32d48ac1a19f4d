/* Offline full-text search over every section of the briefing (built-in engine).
   The index (site_libs/search-index.js, window.BRIEFING_SEARCH, loaded when the box is first used) is
   built with the pages: one entry per
   section with its url, page title, heading and own text. A query's words must all occur (as words or
   word beginnings, accents and case ignored); an entry scores, per word, 10 for a match in its heading, 3
   in its page title and one per occurrence in its text (at most 20), times the word's inverse document
   frequency log(1 + N / df), all times the entry's weight (verdicts 2, reference tables 0.3). Results link to the section and show the matched words in context. */
(function () {
  "use strict";
  var holder = document.querySelector(".search");
  if (!holder) return;
  var root = (document.querySelector('meta[name="briefing-root"]') || {}).content || "";
  /* The index (163 KB) is loaded the first time the box is used, not with every page. */
  var docs = null;
  var loading = null;
  function withIndex(done) {
    if (docs) return done();
    if (!loading) {
      loading = [];
      var script = document.createElement("script");
      script.src = root + "site_libs/search-index.js";
      script.onload = function () {
        docs = (window.BRIEFING_SEARCH || []).map(function (e) {
          return { e: e, title: fold(e.t), page: fold(e.p), text: fold(e.x), weight: e.w || 1 };
        });
        var all = loading;
        loading = null;
        all.forEach(function (f) { f(); });
      };
      document.head.appendChild(script);
    }
    loading.push(done);
  }
  var MAX_RESULTS = 20;
  var WORD = /[\p{L}\p{N}]+/gu;

  /* Folded for matching: lower case, accents dropped one character at a time, so that "cout" finds "coût"
     and "coût" finds "cout", and a match's offsets are the same in the folded and the shown text. */
  var MARKS = /\p{M}/gu;
  function fold(text) {
    var out = "";
    for (var i = 0; i < text.length; i++) {
      var ch = text[i];
      var plain = ch.normalize("NFD").replace(MARKS, "").toLowerCase();
      out += plain.length === 1 ? plain : ch.toLowerCase().length === 1 ? ch.toLowerCase() : ch;
    }
    return out;
  }


  function escapeRegExp(s) { return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"); }
  function starts(term) { return new RegExp("(^|[^\\p{L}\\p{N}])" + escapeRegExp(term), "gu"); }
  function count(re, text) {
    re.lastIndex = 0;
    var n = 0;
    while (re.exec(text) !== null && n < 20) n++;
    return n;
  }

  function search(query) {
    var terms = (fold(query).match(WORD) || []).filter(function (t, i, all) { return all.indexOf(t) === i; });
    if (!terms.length) return [];
    var res = terms.map(starts);
    var n = docs.length;
    var idf = res.map(function (re) {
      var df = docs.filter(function (d) { return count(re, d.title) || count(re, d.text); }).length;
      return Math.log(1 + n / Math.max(df, 1));
    });
    var scored = [];
    docs.forEach(function (d, index) {
      var score = 0;
      for (var i = 0; i < res.length; i++) {
        var inTitle = count(res[i], d.title) > 0;
        var inText = count(res[i], d.text);
        if (!inTitle && !inText) return;
        score += ((inTitle ? 10 : 0) + (count(res[i], d.page) > 0 ? 3 : 0) + inText) * idf[i];
      }
      scored.push({ d: d, score: score * d.weight, index: index });
    });
    scored.sort(function (a, b) { return b.score - a.score || a.index - b.index; });
    return scored.slice(0, MAX_RESULTS).map(function (s) { return { entry: s.d.e, terms: terms, res: res }; });
  }

  function snippet(entry, res) {
    var text = entry.x;
    var lower = fold(text);
    var first = -1;
    res.forEach(function (re) {
      re.lastIndex = 0;
      var m = re.exec(lower);
      if (m) {
        var at = m.index + m[1].length;
        if (first < 0 || at < first) first = at;
      }
    });
    if (first < 0) return document.createTextNode(text.slice(0, 160) + (text.length > 160 ? " …" : ""));
    var start = Math.max(0, text.lastIndexOf(" ", Math.max(0, first - 60)));
    var end = text.indexOf(" ", Math.min(text.length, first + 120));
    if (end < 0) end = text.length;
    var raw = text.slice(start, end);
    var lead = raw.length - raw.replace(/^\s+/, "").length;
    var piece = raw.trim();
    var folded = lower.slice(start + lead, start + lead + piece.length);
    var span = document.createElement("span");
    if (start > 0) span.appendChild(document.createTextNode("… "));
    var marks = new RegExp("(" + res.map(function (re) { return re.source.replace("(^|[^\\p{L}\\p{N}])", ""); }).join("|") + ")[\\p{L}\\p{N}]*", "giu");
    var last = 0;
    folded.replace(marks, function (match, _g, offset) {
      var before = offset === 0 ? "" : folded[offset - 1];
      if (before && /[\p{L}\p{N}]/u.test(before)) return match;
      span.appendChild(document.createTextNode(piece.slice(last, offset)));
      var mark = document.createElement("mark");
      mark.textContent = piece.slice(offset, offset + match.length);
      span.appendChild(mark);
      last = offset + match.length;
      return match;
    });
    span.appendChild(document.createTextNode(piece.slice(last) + (end < text.length ? " …" : "")));
    return span;
  }

  holder.setAttribute("role", "search");
  var label = document.createElement("label");
  label.className = "visually-hidden";
  label.setAttribute("for", "search-input");
  label.textContent = "Search the briefing";
  var input = document.createElement("input");
  input.type = "search";
  input.id = "search-input";
  input.placeholder = "Search";
  input.autocomplete = "off";
  input.setAttribute("aria-describedby", "search-status");
  var status = document.createElement("p");
  status.id = "search-status";
  status.className = "visually-hidden";
  status.setAttribute("aria-live", "polite");
  var panel = document.createElement("div");
  panel.id = "search-results";
  panel.className = "search-results";
  panel.hidden = true;
  holder.appendChild(label);
  holder.appendChild(input);
  holder.appendChild(status);
  holder.appendChild(panel);

  function render() {
    var query = input.value.trim();
    panel.innerHTML = "";
    if (!query) { panel.hidden = true; status.textContent = ""; return; }
    var results = search(query);
    status.textContent = results.length ? results.length + " sections found" : "No section matches";
    if (!results.length) {
      var none = document.createElement("p");
      none.className = "search-none";
      none.textContent = "No section contains all of these words.";
      panel.appendChild(none);
    } else {
      var list = document.createElement("ol");
      results.forEach(function (r) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = root + r.entry.u;
        var title = document.createElement("span");
        title.className = "result-title";
        title.textContent = r.entry.t;
        var page = document.createElement("span");
        page.className = "result-page";
        page.textContent = r.entry.p === r.entry.t ? "" : r.entry.p;
        var context = document.createElement("span");
        context.className = "result-context";
        context.appendChild(snippet(r.entry, r.res));
        link.appendChild(title);
        link.appendChild(page);
        link.appendChild(context);
        item.appendChild(link);
        list.appendChild(item);
      });
      panel.appendChild(list);
    }
    panel.hidden = false;
  }

  function links() { return Array.prototype.slice.call(panel.querySelectorAll("a")); }
  input.addEventListener("input", function () { withIndex(render); });
  input.addEventListener("keydown", function (event) {
    if (event.key === "ArrowDown" && links().length) { event.preventDefault(); links()[0].focus(); }
    if (event.key === "Enter" && links().length) { event.preventDefault(); links()[0].click(); }
    if (event.key === "Escape") { input.value = ""; render(); }
  });
  panel.addEventListener("keydown", function (event) {
    var all = links();
    var at = all.indexOf(document.activeElement);
    if (event.key === "ArrowDown" && at < all.length - 1) { event.preventDefault(); all[at + 1].focus(); }
    if (event.key === "ArrowUp") { event.preventDefault(); if (at > 0) all[at - 1].focus(); else input.focus(); }
    if (event.key === "Escape") { event.preventDefault(); input.focus(); panel.hidden = true; }  /* focus re-renders */
  });
  document.addEventListener("click", function (event) {
    if (!holder.contains(event.target)) panel.hidden = true;
  });
  input.addEventListener("focus", function () { withIndex(function () { if (input.value.trim()) render(); }); });
})();
