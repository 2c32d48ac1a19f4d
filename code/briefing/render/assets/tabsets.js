/* Tabsets on the built-in engine's pages (Quarto's .panel-tabset). The engine writes each tab as a section, a
   .tab-pane that opens with its heading (.tab-title), so that a page read without JavaScript reads them in
   order. This script makes them tabs as the WAI-ARIA Authoring Practices' "Tabs with automatic activation"
   pattern (https://www.w3.org/WAI/ARIA/apg/patterns/tabs/): a tab list before the panes, each tab a button
   that labels its pane; Left and Right arrows move between tabs (and wrap), Home and End go to the first and
   last, Tab moves into the shown pane. A link to something in a hidden pane shows that pane first. */
(function () {
  "use strict";
  var sets = [];

  function build(set) {
    var panes = Array.prototype.filter.call(set.children, function (c) { return c.classList.contains("tab-pane"); });
    if (!panes.length) { return; }
    var list = document.createElement("div");
    list.className = "tab-list";
    list.setAttribute("role", "tablist");
    var tabs = panes.map(function (pane) {
      var heading = pane.querySelector("h1.tab-title, h2.tab-title, h3.tab-title, h4.tab-title, h5.tab-title, h6.tab-title");
      var tab = document.createElement("button");
      tab.type = "button";
      tab.className = "tab";
      tab.setAttribute("role", "tab");
      tab.setAttribute("aria-controls", pane.id);
      tab.id = pane.id + "-tab";
      if (heading) {
        heading.hidden = true;
        tab.textContent = heading.textContent.trim();
      }
      pane.setAttribute("role", "tabpanel");
      pane.setAttribute("aria-labelledby", tab.id);
      pane.tabIndex = 0;
      list.appendChild(tab);
      return tab;
    });
    var first = panes.findIndex(function (p) { return p.classList.contains("active"); });

    function select(index, focus) {
      tabs.forEach(function (tab, i) {
        var on = i === index;
        tab.setAttribute("aria-selected", on ? "true" : "false");
        tab.tabIndex = on ? 0 : -1;
        panes[i].hidden = !on;
        panes[i].classList.toggle("active", on);
      });
      if (focus) { tabs[index].focus(); }
    }

    tabs.forEach(function (tab, i) {
      tab.addEventListener("click", function () { select(i, false); });
    });
    list.addEventListener("keydown", function (event) {
      var at = tabs.indexOf(document.activeElement);
      if (at < 0) { return; }
      var to = { ArrowRight: (at + 1) % tabs.length, ArrowLeft: (at - 1 + tabs.length) % tabs.length,
                 Home: 0, End: tabs.length - 1 }[event.key];
      if (to === undefined) { return; }
      event.preventDefault();
      select(to, true);
    });
    set.insertBefore(list, set.firstChild);
    set.classList.add("tabs-ready");
    select(first < 0 ? 0 : first, false);
    sets.push({ panes: panes, select: select });
  }

  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id && document.getElementById(id);
    if (!target) { return; }
    sets.forEach(function (set) {
      set.panes.forEach(function (pane, i) {
        if (pane.hidden && pane.contains(target)) {
          set.select(i, false);
          target.scrollIntoView();
        }
      });
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll(".panel-tabset"), build);
    reveal();
    window.addEventListener("hashchange", reveal);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
