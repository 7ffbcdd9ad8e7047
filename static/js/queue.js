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
