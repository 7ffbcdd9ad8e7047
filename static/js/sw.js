/* f0monitor's service worker (served as /sw.js, scope /): the patient pages without network.
 *
 * - the patient pages (/home, /report) and the warning-sign limits: from the network when
 *   there is one (and kept), else the copy kept on the phone;
 * - versioned static files (?v=hash) and plotly.js: from the phone once kept, else network;
 * - a report form sent while the network fails on the way: kept in IndexedDB (reportqueue.js)
 *   with its key and time, and the patient is sent back to /report, which shows it kept;
 * - Background Sync ("f0-send-reports"): the kept reports are sent when the network returns.
 * Staff pages are never kept: only the paths below.
 */
/* global F0Queue */
"use strict";
importScripts("/static/js/reportqueue.js");

var PAGES = "f0-pages-v1";
var KEPT_PAGES = ["/home", "/report", "/report/warning-signs.json", "/manifest.webmanifest"];

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf("f0-") === 0 && n !== PAGES; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

function networkFirst(request, key) {
  return fetch(request).then(function (response) {
    if (response.ok && !response.redirected) {
      var copy = response.clone();
      caches.open(PAGES).then(function (c) { c.put(key, copy); });
    }
    return response;
  }).catch(function () {
    return caches.open(PAGES).then(function (c) { return c.match(key); }).then(function (hit) {
      return hit || new Response("offline", { status: 503, headers: { "Content-Type": "text/plain" } });
    });
  });
}

function cacheFirst(request) {
  return caches.open(PAGES).then(function (c) {
    return c.match(request).then(function (hit) {
      return hit || fetch(request).then(function (response) {
        if (response.ok) c.put(request, response.clone());
        return response;
      });
    });
  });
}

function keepReport(request) {
  return request.formData().then(function (data) {
    var fields = [];
    data.forEach(function (value, name) { if (typeof value === "string") fields.push([name, value]); });
    var key = data.get("client_key");
    var owner = parseInt(data.get("_owner"), 10);
    if (!key || isNaN(owner)) throw new Error("not a report form");
    return F0Queue.put({
      key: key, owner: owner, reported_at: new Date().toISOString(),
      fields: fields, status: "pending"
    });
  }).then(function () {
    if (self.registration.sync) self.registration.sync.register("f0-send-reports").catch(function () {});
    return Response.redirect("/report?kept=1", 303);
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request, url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && url.pathname === "/report") {
    var copy = request.clone();
    event.respondWith(fetch(request).catch(function () { return keepReport(copy); }));
    return;
  }
  if (request.method !== "GET") return;
  if (KEPT_PAGES.indexOf(url.pathname) >= 0) {
    event.respondWith(networkFirst(request, url.pathname));
  } else if ((url.pathname.indexOf("/static/") === 0 && url.searchParams.has("v")) ||
             url.pathname === "/assets/plotly.min.js") {
    event.respondWith(cacheFirst(request));
  }
});

function tellPages(result) {
  return self.clients.matchAll({ type: "window" }).then(function (pages) {
    pages.forEach(function (p) { p.postMessage({ type: "f0-sent", result: result }); });
  });
}

self.addEventListener("sync", function (event) {
  if (event.tag !== "f0-send-reports") return;
  event.waitUntil(F0Queue.sendAll().then(function (result) {
    return tellPages(result).then(function () {
      if (result.offline) throw new Error("still offline: the browser will try again");
    });
  }));
});
