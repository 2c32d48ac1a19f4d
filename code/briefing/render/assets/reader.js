/* The briefing's reader features (built-in engine): the chapters menu on narrow screens, copy buttons
   on code, popups that preview cross-references and citations, and popups that show where a computed
   number comes from. Everything here is an addition: with JavaScript off, the chapters list follows the
   text, every link works and every number links to the notebook cell that computed it. */
(function () {
  "use strict";
  var root = (document.querySelector('meta[name="briefing-root"]') || {}).content || "";
  var rootUrl = new URL(root || "./", location.href);

  /* The chapters menu: below 768 px the list is a drawer opened by the menu button. */
  var narrow = window.matchMedia("(max-width: 767.98px)");
  var button = document.querySelector(".menu-button");
  var sidebar = document.getElementById("chapters");
  function setOpen(open, focusButton) {
    var bar = document.querySelector(".topbar");
    if (open && bar) sidebar.style.top = Math.max(0, bar.getBoundingClientRect().bottom) + "px";
    document.body.classList.toggle("nav-open", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) {
      var current = sidebar.querySelector('[aria-current="page"]') || sidebar.querySelector("a");
      if (current) current.focus();
    } else if (focusButton) {
      button.focus();
    }
  }
  if (button && sidebar) {
    button.setAttribute("role", "button");
    button.setAttribute("aria-expanded", "false");
    button.addEventListener("click", function (event) {
      event.preventDefault();
      setOpen(!document.body.classList.contains("nav-open"), false);
    });
    button.addEventListener("keydown", function (event) {
      if (event.key === " ") { event.preventDefault(); button.click(); }
    });
    /* While the drawer is open, focus stays in it and the menu button (Tab wraps), and Escape closes it
       wherever focus is. */
    document.addEventListener("keydown", function (event) {
      if (!document.body.classList.contains("nav-open")) return;
      if (event.key === "Escape") { event.preventDefault(); setOpen(false, true); return; }
      if (event.key !== "Tab") return;
      var stops = [button].concat(Array.prototype.slice.call(sidebar.querySelectorAll("a[href], button")));
      var at = stops.indexOf(document.activeElement);
      var next = at < 0 ? 0 : (at + (event.shiftKey ? -1 : 1) + stops.length) % stops.length;
      event.preventDefault();
      stops[next].focus();
    });
    /* The skip link to the chapters opens the drawer on a phone. */
    document.querySelectorAll('.skip-link[href="#chapters"]').forEach(function (skip) {
      skip.addEventListener("click", function (event) {
        if (!narrow.matches) return;
        event.preventDefault();
        setOpen(true, false);
      });
    });
    sidebar.addEventListener("click", function (event) {
      if (event.target.closest("a")) document.body.classList.remove("nav-open");
    });
    narrow.addEventListener("change", function () { setOpen(false, false); });
  }

  /* Copy buttons on code blocks. */
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      document.body.removeChild(area);
      if (ok) resolve(); else reject(new Error("copy refused"));
    });
  }
  document.querySelectorAll("main pre:not(.mermaid)").forEach(function (pre) {  /* a diagram is a picture, not code */
    var wrap = document.createElement("div");
    wrap.className = "code-wrap";
    pre.parentNode.insertBefore(wrap, pre);
    wrap.appendChild(pre);
    var copy = document.createElement("button");
    copy.type = "button";
    copy.className = "copy-button";
    copy.textContent = "Copy";
    copy.setAttribute("aria-label", "Copy code to the clipboard");
    copy.addEventListener("click", function () {
      copyText(pre.innerText).then(function () {
        copy.textContent = "Copied";
      }, function () {
        copy.textContent = "Select and copy";
      });
      setTimeout(function () { copy.textContent = "Copy"; }, 2000);
    });
    wrap.appendChild(copy);
  });

  /* Popups: one at a time, beside their link, never over it. */
  var popup = document.createElement("div");
  popup.id = "briefing-popup";
  popup.className = "popup";
  popup.setAttribute("role", "tooltip");
  popup.hidden = true;
  document.body.appendChild(popup);
  var owner = null;
  var hideTimer = null;

  function place(trigger) {
    var rect = trigger.getBoundingClientRect();
    var vw = document.documentElement.clientWidth;
    var vh = window.innerHeight;
    var width = Math.min(560, vw - 16);
    popup.style.width = width + "px";
    popup.style.maxHeight = "";
    var height = popup.offsetHeight;
    var below = vh - rect.bottom - 12;
    var above = rect.top - 12;
    var top;
    if (height <= below || below >= above) {
      popup.style.maxHeight = Math.max(below, 120) + "px";
      top = rect.bottom + 6;
    } else {
      popup.style.maxHeight = above + "px";
      top = rect.top - 6 - Math.min(height, above);
    }
    var left = Math.max(8, Math.min(rect.left, vw - width - 8));
    popup.style.left = left + window.scrollX + "px";
    popup.style.top = top + window.scrollY + "px";
  }

  function show(trigger, content) {
    clearTimeout(hideTimer);
    if (owner && owner !== trigger) owner.removeAttribute("aria-describedby");
    owner = trigger;
    popup.innerHTML = "";
    popup.appendChild(content);
    popup.querySelectorAll("img[src]").forEach(function (img) {
      var src = img.getAttribute("src");
      if (!/^[a-z]+:|^\//.test(src)) img.setAttribute("src", root + src);
    });
    if (content.classList.contains("popup-preview")) {  /* a cross-page preview's links are from the root */
      popup.querySelectorAll("a[href]").forEach(function (link) {
        var href = link.getAttribute("href");
        if (!/^[a-z]+:|^\//.test(href)) link.setAttribute("href", root + href);
      });
    }
    popup.hidden = false;
    trigger.setAttribute("aria-describedby", popup.id);
    place(trigger);
  }
  function hide() {
    popup.hidden = true;
    if (owner) owner.removeAttribute("aria-describedby");
    owner = null;
  }
  function hideSoon() {
    clearTimeout(hideTimer);
    hideTimer = setTimeout(hide, 250);
  }
  popup.addEventListener("mouseenter", function () { clearTimeout(hideTimer); });
  popup.addEventListener("mouseleave", hideSoon);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !popup.hidden) hide();
  });
  window.addEventListener("resize", hide);

  /* build() gives the popup's content, or null; build(ready) may instead call ready(content) later (a
     preview waits for its script): the popup then opens only if the pointer or focus is still there. */
  var pointing = null;
  function attach(trigger, build) {
    var open = function () {
      var content = build(function (late) {
        if (late && (pointing === trigger || document.activeElement === trigger)) show(trigger, late);
      });
      if (content) show(trigger, content);
    };
    trigger.addEventListener("mouseenter", function () { pointing = trigger; open(); });
    trigger.addEventListener("focus", open);
    trigger.addEventListener("mouseleave", function () { if (pointing === trigger) pointing = null; hideSoon(); });
    trigger.addEventListener("blur", hideSoon);
  }

  /* A script of the site loaded the first time it is needed (the previews, 144 KB, are not every page's). */
  function lazyScript(name, global) {
    var waiting = null;
    return function (done) {
      if (window[global]) return done(window[global]);
      if (!waiting) {
        waiting = [];
        var script = document.createElement("script");
        script.src = root + "site_libs/" + name;
        script.onload = function () { var all = waiting; waiting = null; all.forEach(function (f) { f(window[global]); }); };
        document.head.appendChild(script);
      }
      waiting.push(done);
    };
  }
  var withPreviews = lazyScript("previews.js", "BRIEFING_PREVIEWS");

  function fragment(html) {
    var holder = document.createElement("div");
    holder.className = "popup-preview";
    holder.innerHTML = html;
    return holder;
  }

  /* A figure opens full size in a dialog (its link opens the image itself without JavaScript); Escape,
     the Close button or a tap on the backdrop closes it and returns focus to the figure. */
  if (typeof HTMLDialogElement === "function") {
    document.querySelectorAll("main figure a.lightbox").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var image = link.querySelector("img");
        if (!image) return;
        event.preventDefault();
        var dialog = document.createElement("dialog");
        dialog.className = "figure-view";
        dialog.setAttribute("aria-label", image.getAttribute("alt") || "Figure");
        var close = document.createElement("button");
        close.type = "button";
        close.textContent = "Close";
        var frame = document.createElement("div");
        frame.className = "figure-view-frame";
        var big = image.cloneNode(true);
        big.removeAttribute("width");
        big.removeAttribute("height");
        frame.appendChild(big);
        dialog.appendChild(close);
        dialog.appendChild(frame);
        document.body.appendChild(dialog);
        close.addEventListener("click", function () { dialog.close(); });
        dialog.addEventListener("click", function (e) { if (e.target === dialog) dialog.close(); });
        dialog.addEventListener("close", function () { dialog.remove(); link.focus(); });
        dialog.showModal();
        close.focus();
      });
    });
  }

  /* Display math wider than the screen scrolls in its own frame: make that frame reachable by keyboard. */
  document.querySelectorAll('main math[display="block"]').forEach(function (math) {
    if (math.scrollWidth > math.clientWidth + 1) {
      math.setAttribute("tabindex", "0");
    }
  });

  /* The summary table comes grouped by verdict, wrong first; a toggle puts it in the article's order. */
  document.querySelectorAll("table.summary").forEach(function (table) {
    var body = table.tBodies[0];
    if (!body || !body.rows.length || !body.rows[0].hasAttribute("data-article-order")) return;
    var grouped = Array.prototype.slice.call(body.rows);
    var article = grouped.slice().sort(function (a, b) {
      return Number(a.getAttribute("data-article-order")) - Number(b.getAttribute("data-article-order"));
    });
    var button = document.createElement("button");
    button.type = "button";
    button.className = "summary-order";
    button.textContent = "In the article\u2019s order";
    button.setAttribute("aria-pressed", "false");
    button.addEventListener("click", function () {
      var on = button.getAttribute("aria-pressed") !== "true";
      (on ? article : grouped).forEach(function (row) { body.appendChild(row); });
      button.setAttribute("aria-pressed", on ? "true" : "false");
    });
    table.parentNode.insertBefore(button, table);
  });

  /* Cross-references and citations: the target as the page shows it. */
  function keyOf(link) {
    var url = new URL(link.getAttribute("href"), location.href);
    if (url.protocol !== rootUrl.protocol || !url.hash) return null;
    var path = decodeURIComponent(url.pathname);
    var base = decodeURIComponent(rootUrl.pathname);
    if (path.indexOf(base) !== 0) return null;
    return path.slice(base.length) + decodeURIComponent(url.hash);
  }
  document.querySelectorAll("main a[href*='#']:not(.anchor):not(.computed)").forEach(function (link) {
    var key = keyOf(link);
    if (!key) return;
    attach(link, function (ready) {
      var loaded = window.BRIEFING_PREVIEWS;
      if (loaded) return loaded[key] ? fragment(loaded[key]) : null;
      withPreviews(function (previews) { if (previews && previews[key]) ready(fragment(previews[key])); });
      return null;
    });
  });

  /* Computed numbers: the value, its expression, the named values it rests on (each a link to the cell that
     defines it), the documents it was read in (from the chapter's list of sources) and the data rows. */
  var notebookHref = function (link, cell) {
    var url = new URL(link.getAttribute("href"), location.href);
    url.hash = cell;
    return url.href;
  };
  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function sourceEntry(anchor) {
    var target = document.getElementById(anchor);
    if (!target) return null;
    var item = target.closest("li");
    var documentItem = item && item.parentNode ? item.parentNode.closest("li") : null;
    if (!documentItem && item) {  /* the whole document: its entry without the list of places */
      var whole = element("li", "popup-source");
      var copy = item.cloneNode(true);
      copy.querySelectorAll("ul, ol").forEach(function (node) { node.remove(); });
      copy.querySelectorAll("[id]").forEach(function (node) { node.removeAttribute("id"); });
      whole.innerHTML = copy.innerHTML;
      return whole;
    }
    var entry = element("li", "popup-source");
    if (documentItem) {
      var head = documentItem.cloneNode(true);
      head.querySelectorAll("ul, ol, [id]").forEach(function (node) {
        if (node.tagName === "UL" || node.tagName === "OL") node.remove(); else node.removeAttribute("id");
      });
      var where = item.cloneNode(true);
      where.querySelectorAll("[id]").forEach(function (node) { node.removeAttribute("id"); });
      entry.appendChild(element("span", "popup-document")).innerHTML = head.innerHTML;
      if (where.textContent.trim()) {
        var locator = element("span", "popup-locator");
        locator.innerHTML = where.innerHTML;
        entry.appendChild(locator);
      }
    } else {
      entry.innerHTML = item ? item.innerHTML : target.innerHTML;
    }
    return entry;
  }
  function provenance(link) {
    var box = element("div", "popup-provenance");
    var value = link.getAttribute("data-value") || link.textContent;
    if (value.length > 140) value = value.slice(0, 139) + "…";
    box.appendChild(element("p", "popup-value", value));
    box.appendChild(element("p", "popup-label", "Computed by"));
    box.appendChild(element("pre", "", link.getAttribute("data-expr")));
    var names = (link.getAttribute("data-names") || "").split(" ").filter(Boolean);
    if (names.length) {
      var from = element("p", "popup-names");
      from.appendChild(document.createTextNode("From "));
      names.forEach(function (pair, index) {
        var cut = pair.lastIndexOf(":");
        var go = element("a", "", pair.slice(0, cut));
        go.href = notebookHref(link, pair.slice(cut + 1));
        if (index) from.appendChild(document.createTextNode(", "));
        from.appendChild(go);
      });
      box.appendChild(from);
    }
    var anchors = (link.getAttribute("data-sources") || "").split(" ").filter(Boolean);
    if (anchors.length) {
      box.appendChild(element("p", "popup-label", anchors.length > 1 ? "Sources" : "Source"));
      var list = element("ul", "popup-sources");
      anchors.forEach(function (anchor) {
        var entry = sourceEntry(anchor);
        if (entry) list.appendChild(entry);
      });
      box.appendChild(list);
    } else {
      box.appendChild(element("p", "popup-none", "Computed from no data row: a constant or a definition of this chapter."));
    }
    var rows = link.getAttribute("data-rows");
    if (rows) {
      var data = element("p", "popup-rows");
      data.appendChild(document.createTextNode("Data: "));
      rows.split("; ").forEach(function (part, index) {
        if (index) data.appendChild(document.createTextNode("; "));
        var file = part.split(/[ ,(]/)[0];
        var go = element("a", "", file);
        go.href = root + file;
        data.appendChild(go);
        data.appendChild(document.createTextNode(part.slice(file.length)));
      });
      box.appendChild(data);
    }
    var cell = element("p");
    var go = element("a", "", "Its cell in the executed notebook (" + new URL(link.href).hash.slice(1) + ")");
    go.href = link.getAttribute("href");
    cell.appendChild(go);
    box.appendChild(cell);
    return box;
  }

  /* On a touch screen the first tap on a number opens its popup instead of following the link (the
     notebook link is inside the popup); a tap anywhere else closes it. */
  var lastPointer = "mouse";
  var openBeforeTap = false;
  document.addEventListener("pointerdown", function (event) {
    lastPointer = event.pointerType || "mouse";
    var tapped = event.target.closest ? event.target.closest("main a.computed") : null;
    openBeforeTap = !!tapped && owner === tapped && !popup.hidden;
  }, true);
  function touching() { return lastPointer === "touch" || lastPointer === "pen"; }
  document.querySelectorAll("main a.computed").forEach(function (link) {
    attach(link, function () { return provenance(link); });
    link.addEventListener("click", function (event) {
      if (!touching() || openBeforeTap) return;
      event.preventDefault();
      clearTimeout(hideTimer);
      if (owner !== link || popup.hidden) show(link, provenance(link));
    });
  });
  document.addEventListener("click", function (event) {
    if (popup.hidden || !owner) return;
    if (popup.contains(event.target) || owner.contains(event.target)) return;
    hide();
  });
})();
