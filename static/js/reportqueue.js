/* Reports kept on the phone while there is no network (IndexedDB), and sending them.
 *
 * Shared by the patient pages (offline.js) and the service worker (sw.js, Background Sync).
 * One row per report: its submission key (the form's client_key, so the server stores it
 * once however often it is sent), who made it (owner: a phone may change hands), the time it
 * was made (reported_at, sent with it), the form's fields, and the server's last refusal.
 * A row leaves the queue only when the server has answered stored, duplicate or ended.
 */
(function (root) {
  "use strict";
  var DB = "f0monitor", STORE = "reports", VERSION = 1;

  function open() {
    return new Promise(function (resolve, reject) {
      var req = root.indexedDB.open(DB, VERSION);
      req.onupgradeneeded = function () {
        var db = req.result;
        if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: "key" });
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function tx(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode), result;
        var store = t.objectStore(STORE);
        var req = work(store);
        if (req) req.onsuccess = function () { result = req.result; };
        t.oncomplete = function () { db.close(); resolve(result); };
        t.onerror = t.onabort = function () { db.close(); reject(t.error); };
      });
    });
  }

  function put(row) { return tx("readwrite", function (s) { return s.put(row); }); }
  function remove(key) { return tx("readwrite", function (s) { return s.delete(key); }); }
  function all(owner) {
    return tx("readonly", function (s) { return s.getAll(); }).then(function (rows) {
      rows = (rows || []).filter(function (r) { return owner === undefined || r.owner === owner; });
      rows.sort(function (a, b) { return a.reported_at < b.reported_at ? -1 : 1; });
      return rows;
    });
  }

  /* Send every kept report of the patient logged in now (the server says who that is: a
   * report made by one patient is never sent with another's login). Used by the pages and by
   * the service worker's Background Sync.
   * Resolves to {sent: [answers], kept: n, offline: bool, login: bool}. */
  function sendAll() {
    var out = { sent: [], kept: 0, offline: false, login: false }, rows = [];
    return all().then(function (everyone) {
      if (!everyone.length) return out;
      return fetch("/report/sync", { credentials: "same-origin", cache: "no-store" })
        .then(function (r) {
          if (r.redirected || !r.ok) { out.login = true; throw new Error("login"); }
          return r.json();
        })
        .then(function (body) {
          rows = everyone.filter(function (r) { return r.owner === body.owner; });
          var chain = Promise.resolve();
          rows.forEach(function (row) {
            chain = chain.then(function () { return sendOne(row, body.csrf_token, out); });
          });
          return chain.then(function () { return out; });
        })
        .catch(function () {
          if (!out.login) out.offline = true;
          out.kept = Math.max(rows.length, 1) - out.sent.length;
          return out;
        });
    });
  }

  function sendOne(row, token, out) {
    var body = new URLSearchParams();
    row.fields.forEach(function (pair) { if (pair[0] !== "csrf_token") body.append(pair[0], pair[1]); });
    body.set("csrf_token", token);
    body.set("client_key", row.key);
    body.set("reported_at", row.reported_at);
    return fetch("/report/sync", {
      method: "POST", credentials: "same-origin", body: body,
      headers: { "Accept": "application/json" }
    }).then(function (r) {
      if (r.redirected) { out.login = true; throw new Error("login"); }
      return r.json().then(function (answer) {
        if (r.status === 422) {
          row.status = "refused"; row.errors = answer.errors || {};
          out.kept += 1;
          return put(row);
        }
        if (!r.ok) throw new Error("server " + r.status);
        answer.key = row.key;
        out.sent.push(answer);
        return remove(row.key);
      });
    });
  }

  root.F0Queue = { put: put, remove: remove, all: all, sendAll: sendAll };
})(typeof self !== "undefined" ? self : window);
