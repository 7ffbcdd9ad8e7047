/* The triage queue refreshes itself: every 5 s it fetches the rows as HTML and swaps them in.
   New unacknowledged alerts are counted in a live region and their rows highlighted.
   Without JavaScript the page still works (reload to refresh). */
(function () {
  "use strict";
  var box = document.getElementById("queue-live");
  if (!box || !window.fetch) return;
  var notice = document.getElementById("new-alerts");
  var status = document.getElementById("live-status");
  var src = box.getAttribute("data-src");
  var INTERVAL = 5000;
  var baseTitle = document.title;
  var ids = function (text) { return (text || "").split(",").filter(Boolean); };
  var known = {};
  ids(box.getAttribute("data-known")).forEach(function (id) { known[id] = true; });
  var fresh = {};
  var failures = 0;

  function announce() {
    var n = Object.keys(fresh).length;
    if (!n) { notice.hidden = true; notice.textContent = ""; document.title = baseTitle; return; }
    var text = n === 1 ? box.getAttribute("data-msg-one") : box.getAttribute("data-msg-many").replace("{n}", n);
    notice.hidden = false;
    notice.textContent = "⚠ " + text;
    document.title = "(" + n + ") " + baseTitle;
  }

  function mark() {
    box.querySelectorAll("tr[data-alert-id]").forEach(function (row) {
      if (fresh[row.getAttribute("data-alert-id")]) row.classList.add("is-new");
    });
  }

  function apply(html) {
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var live = holder.querySelector(".queue-live");
    if (!live) return;
    var current = ids(live.getAttribute("data-alert-ids"));
    var open = {};
    current.forEach(function (id) {
      open[id] = true;
      if (!known[id]) { fresh[id] = true; known[id] = true; }
    });
    Object.keys(fresh).forEach(function (id) { if (!open[id]) delete fresh[id]; });
    // Do not pull the rows from under someone who is using them (focus on a button or link).
    if (!box.contains(document.activeElement)) {
      box.innerHTML = "";
      box.appendChild(live);
      mark();
    }
    announce();
  }

  function poll() {
    fetch(src, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" }, cache: "no-store" })
      .then(function (r) {
        if (r.redirected || !r.ok) throw new Error("status " + r.status);
        return r.text();
      })
      .then(function (html) {
        failures = 0;
        if (status) status.classList.remove("stale");
        apply(html);
      })
      .catch(function () {
        failures += 1;
        if (status && failures >= 2) { status.textContent = box.getAttribute("data-msg-stale"); status.classList.add("stale"); }
      })
      .then(function () { setTimeout(poll, INTERVAL); });
  }

  notice.addEventListener("click", function () { fresh = {}; announce(); box.querySelectorAll(".is-new").forEach(function (r) { r.classList.remove("is-new"); }); });
  setTimeout(poll, INTERVAL);
})();

/* Working the queue by keyboard: j / k move between patients, Enter opens, a acknowledges the
   current patient's alert, / goes to the search box, ? shows the help. The current row is kept
   by patient id across the live refreshes. */
(function () {
  "use strict";
  var box = document.getElementById("queue-live");
  if (!box) return;
  var currentId = null;

  function rows() { return Array.prototype.slice.call(box.querySelectorAll("table.queue tbody tr[data-patient-id]")); }
  function help() { return document.getElementById("keys-help"); }

  function select(row) {
    rows().forEach(function (r) { r.classList.remove("is-current"); r.removeAttribute("aria-current"); });
    if (!row) { currentId = null; return; }
    row.classList.add("is-current");
    row.setAttribute("aria-current", "true");
    currentId = row.getAttribute("data-patient-id");
    var link = row.querySelector("a.row-open");
    if (link) link.focus({ preventScroll: true });
    row.scrollIntoView({ block: "nearest" });
  }

  function current() {
    var list = rows();
    for (var i = 0; i < list.length; i++) if (list[i].getAttribute("data-patient-id") === currentId) return i;
    return -1;
  }

  function toggleHelp(show) {
    var h = help();
    if (!h) return;
    h.hidden = show === undefined ? !h.hidden : !show;
    if (!h.hidden) { var b = h.querySelector("[data-keys-close]"); if (b) b.focus(); }
  }

  // Keep the highlight after the rows are swapped in by the live refresh.
  new MutationObserver(function () {
    if (!currentId) return;
    var row = box.querySelector('tr[data-patient-id="' + currentId + '"]');
    if (row) row.classList.add("is-current");
  }).observe(box, { childList: true });

  // Back from acknowledging by keyboard: the same position is current again (the next patient).
  try {
    var kept = sessionStorage.getItem("f0-queue-row");
    if (kept !== null) {
      sessionStorage.removeItem("f0-queue-row");
      var again = rows();
      if (again.length) select(again[Math.min(again.length - 1, parseInt(kept, 10) || 0)]);
    }
  } catch (err) { /* private mode */ }

  document.addEventListener("click", function (e) {
    if (e.target.closest("[data-keys-help]")) toggleHelp();
    else if (e.target.closest("[data-keys-close]")) toggleHelp(false);
  });

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "select" || tag === "textarea") {
      if (e.key === "Escape") e.target.blur();
      return;
    }
    var list = rows();
    var i = current();
    if (e.key === "Escape") { toggleHelp(false); return; }
    if (e.key === "?") { e.preventDefault(); toggleHelp(); return; }
    if (e.key === "/") { var q = document.getElementById("q"); if (q) { e.preventDefault(); q.focus(); } return; }
    if (!list.length) return;
    if (e.key === "j" || e.key === "ArrowDown" && i >= 0) {
      e.preventDefault(); select(list[Math.min(list.length - 1, i + 1)]);
    } else if (e.key === "k" || e.key === "ArrowUp" && i >= 0) {
      e.preventDefault(); select(list[Math.max(0, i - 1)]);
    } else if (e.key === "Enter" && i >= 0 && tag !== "a" && tag !== "button") {
      e.preventDefault(); window.location.href = list[i].querySelector("a.row-open").href;
    } else if (e.key === "a" && i >= 0) {
      var ack = list[i].querySelector("button.row-ack");
      if (ack) {
        e.preventDefault();
        try { sessionStorage.setItem("f0-queue-row", String(i)); } catch (err) { /* private mode */ }
        ack.closest("form").submit();
      }
    }
  });
})();
