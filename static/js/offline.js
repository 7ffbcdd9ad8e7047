/* The patient pages on a weak network: the service worker, the report form without network,
 * and the reports kept on the phone (reportqueue.js) until the server has them.
 *
 * Without network the report is checked here (every warning question answered, numbers in
 * range), kept in IndexedDB with its submission key and the time it was made, and checked for
 * warning signs with the server's own limits (warning.js): "CALL 115 NOW" shows at once. It is
 * sent by itself when the network returns (Background Sync where the browser has it, else the
 * "online" event, the next page load or the button); the server stores it once (the key) and
 * checks its time; a report kept longer than the rules allow tells the patient to call.
 */
(function () {
  "use strict";
  var box = document.getElementById("pending");
  if (!box || !window.F0Queue || !window.indexedDB) return;
  var owner = parseInt(box.getAttribute("data-owner"), 10);
  var lang = box.getAttribute("data-lang") || "vi";
  var T = JSON.parse(document.getElementById("offline-text").textContent);
  var list = document.getElementById("pending-list");
  var status = document.getElementById("pending-status");
  var alarm = document.getElementById("offline-115");
  var PAGES = "f0-pages-v1";
  var LIMITS_KEY = "f0-warning-limits";
  var form = document.getElementById("report-form");
  var limitsUrl = "/report/warning-signs.json";
  var QUESTIONS = [];
  var fmt = new Intl.DateTimeFormat(lang === "vi" ? "vi-VN" : "en-GB", {
    timeZone: "Asia/Ho_Chi_Minh", day: "2-digit", month: "2-digit", year: "numeric",
    hour: "2-digit", minute: "2-digit", hour12: false
  });

  function randomKey() {
    var a = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // ---- the service worker, and the pages and files it needs offline --------------------
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
    navigator.serviceWorker.addEventListener("message", function (e) {
      if (e.data && e.data.type === "f0-sent") show(e.data.result);
    });
  }
  function keepForOffline() {
    if (!window.caches || !navigator.onLine) return;
    var urls = ["/home", "/report", limitsUrl, "/manifest.webmanifest"];
    document.querySelectorAll("script[src], link[rel=stylesheet], link[rel=manifest], link[rel=icon]").forEach(function (el) {
      var u = el.getAttribute("src") || el.getAttribute("href");
      if (u && u.charAt(0) === "/") urls.push(u);
    });
    // Only what the phone does not have yet: the service worker refreshes a page's copy
    // whenever the page is opened, and versioned files never change.
    caches.open(PAGES).then(function (cache) {
      urls.forEach(function (u) {
        cache.match(u).then(function (hit) {
          if (hit) return;
          return fetch(u, { credentials: "same-origin" }).then(function (r) {
            if (r.ok && !r.redirected) return cache.put(u, r);
          });
        }).catch(function () {});
      });
    });
  }
  // Logging out: the pages kept for offline use hold health data; the kept reports stay
  // (they are this patient's, and are sent only with this patient's login).
  document.querySelectorAll("form[action$='/logout']").forEach(function (f) {
    f.addEventListener("submit", function () { if (window.caches) caches.delete(PAGES); });
  });

  // ---- the warning-sign limits of this patient (the server's rule table) ----------------
  function limits() {
    return fetch(limitsUrl, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok || r.redirected) throw new Error(); return r.json(); })
      .then(function (l) { try { localStorage.setItem(LIMITS_KEY, JSON.stringify(l)); } catch (e) {} return l; })
      .catch(function () {
        try { return JSON.parse(localStorage.getItem(LIMITS_KEY)); } catch (e) { return null; }
      })
      .then(function (l) {
        // The warning questions of the form are the rules' warning symptoms but "call me".
        if (l) QUESTIONS = Object.keys(l.symptoms).filter(function (k) { return k !== "wants_call"; });
        return l;
      });
  }

  // ---- the list of kept reports ---------------------------------------------------------
  function tooOld(row, l) {
    var hours = (l && l.report_past_hours) || 72;
    return Date.now() - Date.parse(row.reported_at) > hours * 3600 * 1000;
  }
  function render() {
    return Promise.all([F0Queue.all(owner), limits()]).then(function (both) {
      var rows = both[0], l = both[1], signs = [];
      list.innerHTML = "";
      rows.forEach(function (row) {
        var li = document.createElement("li");
        li.className = "pending-item";
        li.setAttribute("data-key", row.key);
        var when = document.createElement("strong");
        when.textContent = T.made + " " + fmt.format(new Date(row.reported_at));
        li.appendChild(when);
        var p = document.createElement("p");
        if (tooOld(row, l)) {
          p.className = "flag flag-missing too-old"; p.textContent = T.too_old;
        } else if (row.status === "refused") {
          p.className = "field-error"; p.textContent = T.refused + " " + Object.keys(row.errors || {}).map(function (k) {
            return row.errors[k].join("; ");
          }).join(" · ");
        } else {
          p.className = "pending-text"; p.textContent = T.pending;
        }
        li.appendChild(p);
        var said = summary(formData(row.fields));  // what to read out to the health station
        if (said) { var v = document.createElement("p"); v.className = "pending-values"; v.textContent = said; li.appendChild(v); }
        if (row.status === "refused" || tooOld(row, l)) {
          var rm = document.createElement("button");
          rm.type = "button"; rm.className = "linkish"; rm.textContent = T.remove;
          rm.addEventListener("click", function () {
            if (window.confirm(T.remove_confirm)) F0Queue.remove(row.key).then(render);
          });
          li.appendChild(rm);
        }
        list.appendChild(li);
        if (l && !tooOld(row, l)) {
          (row.signs || F0Warning.signs(l, values(formData(row.fields)))).forEach(function (c) { if (signs.indexOf(c) < 0) signs.push(c); });
        }
      });
      box.hidden = rows.length === 0 && !status.textContent;
      showAlarm(signs);
      return rows;
    });
  }
  function summary(data) {
    var parts = [], units = { temperature_c: "°C", pulse: "/min", respiratory_rate: "/min" };
    var v = values(data);
    if (v.temperature_c !== null) parts.push(v.temperature_c + " °C");
    var spo2 = v.spo2_recheck !== null ? v.spo2_recheck : v.spo2;
    if (spo2 !== null) parts.push("SpO2 " + spo2 + " %");
    if (v.pulse !== null) parts.push(T.pulse + " " + v.pulse + units.pulse);
    if (v.respiratory_rate !== null) parts.push(T.breaths + " " + v.respiratory_rate + units.respiratory_rate);
    if (v.systolic_bp !== null) parts.push((T.bp || "BP") + " " + v.systolic_bp + (v.diastolic_bp !== null ? "/" + v.diastolic_bp : "") + " mmHg");
    var yes = v.symptoms.filter(function (s) { return Object.prototype.hasOwnProperty.call(T.answered, s); })
      .map(function (s) { return T.answered[s]; });
    return parts.concat(yes).join(" · ");
  }
  function showAlarm(signs) {
    var ul = document.getElementById("offline-signs");
    ul.innerHTML = "";
    signs.forEach(function (c) {
      var li = document.createElement("li"); li.textContent = T.codes[c] || c; ul.appendChild(li);
    });
    alarm.hidden = signs.length === 0;
  }
  function show(result) {
    if (!result) return render();
    // Stored or already stored (the service worker may have sent it first): received.
    var texts = result.sent.map(function (a) { return a.warning_signs ? a.message : T.sent; });
    if (result.login) texts.push(T.login);
    status.textContent = texts.join(" ");
    return render().then(function (rows) {
      // On the home page a report just received belongs in the history: show it.
      if (result.sent.length && !form && location.pathname === "/home" && !rows.length) {
        setTimeout(function () { location.reload(); }, 1500);
      }
    });
  }
  function sendNow() {
    if (!navigator.onLine) return render();
    status.textContent = T.sending;
    return F0Queue.sendAll().then(show, function () { status.textContent = ""; return render(); });
  }
  document.getElementById("pending-retry").addEventListener("click", sendNow);
  window.addEventListener("online", sendNow);

  // ---- the report form without network --------------------------------------------------
  function values(data) {
    var v = { symptoms: [] };
    data.getAll("symptoms").forEach(function (s) { v.symptoms.push(s); });
    QUESTIONS.forEach(function (q) { if (data.get(q) === "yes") v.symptoms.push(q); });
    if (data.get("wants_call")) v.symptoms.push("wants_call");
    ["temperature_c", "spo2", "spo2_recheck", "pulse", "respiratory_rate", "systolic_bp", "diastolic_bp"].forEach(function (n) {
      var raw = (data.get(n) || "").trim().replace(",", ".");
      v[n] = raw === "" ? null : Number(raw);
    });
    if (data.get("no_oximeter")) { v.spo2 = null; v.spo2_recheck = null; }
    return v;
  }
  function formData(fields) {
    var fd = new FormData();
    (fields || []).forEach(function (p) { fd.append(p[0], p[1]); });
    return fd;
  }
  function fieldError(name, text) {
    var el = document.getElementById(name);
    if (!el) return;
    var holder = el.closest(".field") || el;
    holder.classList.add("has-error");
    var p = document.createElement("p");
    p.className = "field-error js-error"; p.id = name + "-error"; p.setAttribute("role", "alert");
    p.textContent = text;
    holder.appendChild(p);
  }
  function clearErrors() {
    form.querySelectorAll(".js-error").forEach(function (p) { p.parentNode.classList.remove("has-error"); p.remove(); });
  }
  function check(l, v) {  // what the server would refuse, checked here: true when fine
    var ok = true, unusual = false, data = new FormData(form);
    QUESTIONS.forEach(function (q) {
      if (data.get(q) !== "yes" && data.get(q) !== "no") { fieldError(q, T.answer); ok = false; }
    });
    Object.keys(l.ranges).concat(["spo2_recheck"]).forEach(function (n) {
      var r = l.ranges[n === "spo2_recheck" ? "spo2" : n], x = v[n];
      if (x === null || x === undefined) return;
      if (isNaN(x)) { fieldError(n, T.number); ok = false; return; }
      if (x < r.low || x > r.high) {
        fieldError(n, T.range.replace("%(low)s", r.low).replace("%(high)s", r.high)); ok = false; return;
      }
      if (r.integer && x !== Math.round(x)) { fieldError(n, T.whole); ok = false; return; }
      if ((r.confirm_below !== null && x < r.confirm_below) || (r.confirm_above !== null && x > r.confirm_above)) unusual = true;
    });
    var confirmBox = document.getElementById("confirm_unusual");
    if (ok && unusual && confirmBox && !confirmBox.checked) {
      document.getElementById("confirm-block").classList.remove("js-hidden", "hidden-block");
      fieldError("confirm_unusual", T.unusual); ok = false;
    }
    return ok;
  }
  function keep(l) {
    clearErrors();
    var v = values(new FormData(form));
    if (!check(l, v)) {
      var first = form.querySelector(".js-error");
      if (first) first.parentNode.scrollIntoView();
      return Promise.resolve(false);
    }
    var row = {
      key: form.querySelector("[name=client_key]").value || randomKey(),
      owner: owner,
      reported_at: new Date().toISOString(),
      fields: Array.from(new FormData(form).entries()).filter(function (p) { return typeof p[1] === "string"; }),
      signs: F0Warning.signs(l, v),
      status: "pending"
    };
    return F0Queue.put(row).then(function () {
      if (navigator.serviceWorker && navigator.serviceWorker.ready) {
        navigator.serviceWorker.ready.then(function (reg) { if (reg.sync) return reg.sync.register("f0-send-reports"); }).catch(function () {});
      }
      form.reset();
      form.querySelector("[name=client_key]").value = randomKey();  // the next report is another
      status.textContent = T.kept;
      return render().then(function () { box.scrollIntoView(); return true; });
    });
  }
  if (form) {
    form.querySelectorAll("fieldset.yesno").forEach(function (fs) { QUESTIONS.push(fs.id); });  // until the limits load
    // A page from the phone's cache carries an old key: every report made here has its own.
    var keyField = form.querySelector("[name=client_key]");
    if (keyField && !form.querySelector(".field-error")) keyField.value = randomKey();
    var none = document.getElementById("none-of-these");
    if (none) {
      none.addEventListener("click", function () {
        QUESTIONS.forEach(function (q) {
          var no = form.querySelector("input[name=" + q + "][value=no]");
          if (no) no.checked = true;
        });
        none.setAttribute("aria-pressed", "true");
        var next = document.getElementById("temperature_c");
        if (next) next.focus();
      });
    }
    form.addEventListener("submit", function (e) {
      if (navigator.onLine) return;  // the server answers (and the service worker keeps it if the network fails)
      e.preventDefault();
      limits().then(function (l) {
        if (!l) { status.textContent = T.kept; return; }
        keep(l);
      });
      var b = form.querySelector("[data-once]");
      if (b) setTimeout(function () { b.disabled = false; }, 50);
    });
  }

  if (/[?&]kept=1/.test(location.search)) status.textContent = T.kept;  // kept by the service worker
  keepForOffline();
  if (navigator.onLine) sendNow(); else render();
})();
